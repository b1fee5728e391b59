// Starting the operator or an agent armed with a crash point (src/runtime/crash-point.ts), and
// awaiting "it crashed at point X": its stderr line {"crashPoint":"X"} and its exit by SIGKILL.
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { type AgentProcess, type AgentSettings, agentArgs } from "./agent-process.ts";
import { type MeridianProcess, spawnMeridian } from "./meridian-process.ts";
import { freePort, type OperatorProcess } from "./operator-process.ts";
import type { Region } from "./testbed.ts";

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The point it announced on stderr before it was killed, if any. */
  crashPoint: string | undefined;
}

/** A meridian process whose stderr is read (and still echoed), so its crash point can be awaited. */
export interface CrashableProcess extends MeridianProcess {
  /** What MERIDIAN_CRASH_AT was set to. */
  crashAt: string;
  /** Every stderr line so far. */
  stderr: string[];
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<ProcessExit>;
  /**
   * Resolves when the process announced `point` (default: the armed one) on stderr and was
   * SIGKILLed; rejects when it exited otherwise, announced another point, or not within `timeoutMs`.
   */
  crashed(timeoutMs: number, point?: string): Promise<ProcessExit>;
}

/** The environment that arms a crash point: `point` or `point#N` (the N-th time it is reached). */
export function crashEnv(point: string, nth?: number): Record<string, string> {
  return { MERIDIAN_CRASH_AT: nth === undefined ? point : `${point}#${nth}` };
}

/** Reads the {"crashPoint": "..."} line crash-point.ts writes; undefined for any other line. */
export function parseCrashLine(line: string): string | undefined {
  if (!line.startsWith('{"crashPoint"')) return undefined;
  try {
    const value = (JSON.parse(line) as { crashPoint?: unknown }).crashPoint;
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Watches a child process spawned with stderr piped: echoes its stderr (unless `echo: false`), records the crash point it
 * announces, and reports how it exited. Works for any program using crashPoint().
 */
export function watchCrash(
  proc: ChildProcess,
  crashAt: string,
  options: { echo?: boolean } = {},
): Pick<CrashableProcess, "stderr" | "exited" | "crashed"> {
  const stderr: string[] = [];
  let crashPoint: string | undefined;
  if (!proc.stderr) throw new Error("watchCrash needs the child's stderr piped");
  const lines = createInterface({ input: proc.stderr });
  lines.on("line", (line) => {
    stderr.push(line);
    crashPoint ??= parseCrashLine(line);
    if (options.echo ?? true) process.stderr.write(`${line}\n`);
  });
  const streamClosed = new Promise<void>((r) => lines.once("close", () => r()));
  const exited = new Promise<ProcessExit>((resolveExit) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) =>
      // The exit may be seen before the last stderr line is read: wait for the stream's end too.
      void streamClosed.then(() => resolveExit({ code, signal, crashPoint }));
    if (proc.exitCode !== null || proc.signalCode !== null) done(proc.exitCode, proc.signalCode);
    else proc.once("exit", done);
  });
  const expected = crashAt.replace(/#\d+$/, "");
  return {
    stderr,
    exited,
    async crashed(timeoutMs, point = expected) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`process ${proc.pid} did not crash at "${point}" within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        const exit = await Promise.race([exited, timeout]);
        if (exit.signal !== "SIGKILL" || exit.crashPoint !== point) {
          throw new Error(
            `expected a crash at "${point}", but the process exited with ${exit.signal ?? `code ${exit.code}`}` +
              (exit.crashPoint
                ? ` at crash point "${exit.crashPoint}"`
                : " without announcing a crash point"),
          );
        }
        return exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Like spawnMeridian (meridian-process.ts), with MERIDIAN_CRASH_AT set and stderr piped through
 * watchCrash. `crashAt` is `point` or `point#N`.
 */
export function spawnMeridianCrashing(
  region: Region,
  args: string[],
  metricsPort: number,
  crashAt: string,
  env: Record<string, string> = {},
): CrashableProcess {
  const spawned = spawnMeridian(region, args, metricsPort, { ...env, MERIDIAN_CRASH_AT: crashAt }, "pipe");
  const watch = watchCrash(spawned.proc, crashAt);
  return {
    ...spawned,
    crashAt,
    ...watch,
    async stop(signal = "SIGTERM") {
      if (spawned.proc.exitCode !== null || spawned.proc.signalCode !== null) return;
      spawned.proc.kill(signal);
      await watch.exited;
    },
  };
}

/** `meridian operator` against `hub`, armed to crash at `crashAt` (see startOperator). */
export async function startOperatorCrashingAt(
  hub: Region,
  args: string[],
  crashAt: string,
  env: Record<string, string> = {},
): Promise<OperatorProcess & CrashableProcess> {
  const metricsPort = await freePort();
  const operator = spawnMeridianCrashing(
    hub,
    ["operator", "--metrics-port", String(metricsPort), ...args],
    metricsPort,
    crashAt,
    env,
  );
  return { ...operator, metricsPort };
}

/** `meridian agent` guarding `member`, armed to crash at `crashAt` (same flags as startAgent). */
export async function startAgentCrashingAt(
  member: Region,
  settings: AgentSettings,
  crashAt: string,
  env: Record<string, string> = {},
): Promise<AgentProcess & CrashableProcess> {
  const metricsPort = await freePort();
  const args = agentArgs(settings, metricsPort);
  return {
    ...spawnMeridianCrashing(member, args, metricsPort, crashAt, env),
    url: `http://127.0.0.1:${settings.listenPort}`,
    metricsPort,
  };
}
