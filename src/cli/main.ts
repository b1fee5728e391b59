#!/usr/bin/env node
// The single `meridian` program: the hub operator, the per-region agent, and the commands people
// run against the hub (also installed as `kubectl-meridian`, so `kubectl meridian …` works).
// Exit codes: 0 success, 1 a failure or refusal (the message says what to do), 2 a usage error,
// 3 a promotion still running when the command stopped following it.
import { createInterface } from "node:readline/promises";
import { Command, CommanderError } from "commander";
import { registerApprove } from "./commands/approve.ts";
import { registerDrill } from "./commands/drill.ts";
import { registerFence } from "./commands/fence.ts";
import { registerPromotions } from "./commands/promotions.ts";
import { registerStatus } from "./commands/status.ts";
import { registerSwitchover } from "./commands/switchover.ts";
import { registerVersion, version } from "./commands/version.ts";
import type { CliIO } from "./context.ts";
import { CliError } from "./kube.ts";
import { colorFor } from "./style.ts";

export { version };

/** Builds the command tree; `done` receives each command's exit code. */
function program(name: string, io: CliIO, done: (code: number) => void): Command {
  const strip = (s: string) => s.replace(/\n$/, "");
  const p = new Command(name)
    .description(
      "Meridian fails applications over between Kubernetes regions. These commands read and drive it from the hub cluster.",
    )
    .version(`meridian ${version()}`, "--version", "print the version")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(strip(s)), writeErr: (s) => io.err(strip(s)) })
    .showHelpAfterError("(add --help for usage)")
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      "\nEvery user command takes --kubeconfig, --context and -n/--namespace like kubectl; see <command> --help.\nExit codes: 0 success, 1 failure or refusal, 2 usage error, 3 promotion still running when the command stopped following it.",
    );
  p.command("operator")
    .summary("run the hub operator (meridian operator --help for flags)")
    .helpOption(false);
  p.command("agent")
    .summary("run the per-region fencing agent, one per member cluster (meridian agent --help for flags)")
    .helpOption(false);
  registerStatus(p, io, done);
  registerSwitchover(p, io, done);
  registerApprove(p, io, done);
  registerPromotions(p, io, done);
  registerDrill(p, io, done);
  registerFence(p, io, done);
  registerVersion(p, io, done);
  return p;
}

const quietIO = (out: (l: string) => void, err: (l: string) => void): CliIO => ({
  out,
  err,
  color: false,
  confirm: async () => false,
  signal: new AbortController().signal,
  now: Date.now,
});

/**
 * Runs one invocation; returns the process exit code. Kept free of process.exit so tests can call
 * it; `io` overrides the defaults (no colour, no one to confirm, never interrupted).
 */
export async function main(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void,
  io: Partial<CliIO> & { name?: string } = {},
): Promise<number> {
  const [command, ...rest] = argv;
  // The roles load the operator's or the agent's code only when they run: a person's command
  // starts faster without it.
  if (command === "operator") {
    const { operatorUsage, runOperator } = await import("./operator.ts");
    return runRole(rest, operatorUsage, runOperator, out, err);
  }
  if (command === "agent") {
    const { agentUsage, runAgent } = await import("./agent.ts");
    return runRole(rest, agentUsage, runAgent, out, err);
  }
  const { name = "meridian", ...overrides } = io;
  const cli = { ...quietIO(out, err), ...overrides };
  let code = 0;
  try {
    await program(name, cli, (c) => (code = c)).parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CliError) {
      err(`error: ${e.message}`);
      return e.exitCode;
    }
    err(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
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

/** Asks on the terminal; with no terminal there is no one to ask, and the answer is no. */
async function confirmOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Runs the program as a process: colour on a terminal, Ctrl-C stops following (twice quits). */
export async function runProcess(name: string): Promise<void> {
  const interrupt = new AbortController();
  process.on("SIGINT", () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  });
  const argv = process.argv.slice(2);
  const role = argv[0] === "operator" || argv[0] === "agent";
  process.exitCode = await main(argv, console.log, console.error, {
    name,
    color: colorFor(process.stdout),
    confirm: confirmOnTerminal,
    // The long-lived roles handle their own signals.
    ...(role ? {} : { signal: interrupt.signal }),
  });
  if (!role) process.exit(process.exitCode);
}

if (import.meta.main) await runProcess("meridian");
