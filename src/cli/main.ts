#!/usr/bin/env node
// The single `meridian` program. Subcommands select the role: the hub operator, the per-region
// agent, and small tools. Each role arrives with its issue; unknown input is a usage error (exit 2).
import { readFileSync } from "node:fs";

export const usage = `usage: meridian <command>
  version    print the version and exit`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Runs one invocation; returns the process exit code. Kept free of process.exit so tests can call it. */
export function main(argv: string[], out: (line: string) => void, err: (line: string) => void): number {
  const [command] = argv;
  switch (command) {
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

if (import.meta.main) {
  process.exitCode = main(process.argv.slice(2), console.log, console.error);
}
