#!/usr/bin/env node
// The single `meridian` program. Subcommands select the role: the hub operator, the per-region
// agent, and small tools. Each role arrives with its issue; unknown input is a usage error (exit 2).
import { readFileSync } from "node:fs";
import { agentUsage, runAgent } from "./agent.ts";
import { operatorUsage, runOperator } from "./operator.ts";

export const usage = `usage: meridian <command>
  operator   run the hub operator (meridian operator --help for flags)
  agent      run the per-region fencing agent, one per member cluster (meridian agent --help for flags)
  version    print the version and exit`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Runs one invocation; returns the process exit code. Kept free of process.exit so tests can call it. */
export async function main(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "operator":
      return runRole(rest, operatorUsage, runOperator, out, err);
    case "agent":
      return runRole(rest, agentUsage, runAgent, out, err);
    case "version":
    case "--version":
      out(`meridian ${version()}`);
      return 0;
    case "help":
    case "--help":
      out(usage);
      return 0;
    default:
      err(`${command ? `unknown command "${command}"` : "no command given"}\n${usage}`);
      return 2;
  }
}

/** Runs a long-lived role; --help prints its usage, and a flag error prints it with exit code 2. */
async function runRole(
  argv: string[],
  roleUsage: string,
  run: (argv: string[]) => Promise<number>,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (argv.includes("--help")) {
    out(roleUsage);
    return 0;
  }
  try {
    return await run(argv);
  } catch (e) {
    if (!(e instanceof Error) || !isUsageError(e)) throw e;
    err(`${e.message}\n${roleUsage}`);
    return 2;
  }
}

/** Flag errors from parseArgs or our own checks, as opposed to failures while running. */
function isUsageError(e: Error): boolean {
  return e.message.startsWith("--") || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), console.log, console.error);
}
