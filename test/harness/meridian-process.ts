import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Region } from "./testbed.ts";

/** A running `meridian <role>` process: its JSON logs, its metrics, and a way to stop it. */
export interface MeridianProcess {
  proc: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** The /metrics text. */
  metrics(): Promise<string>;
  /** The value of one sample, e.g. metric('leader_election_master_status{name="meridian-operator"}'). */
  metric(sample: string): Promise<number | undefined>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the meridian program as a user would, with `region`'s kubeconfig as $KUBECONFIG and
 * debug logs captured; `metricsPort` must be the port its arguments give it.
 */
export function spawnMeridian(
  region: Region,
  args: string[],
  metricsPort: number,
  env: Record<string, string> = {},
  /** "pipe" leaves proc.stderr for the caller to read (crash-process.ts); otherwise it is ours. */
  stderr: "inherit" | "pipe" = "inherit",
  /** The program: the sources by default, or the compiled dist/cli/main.js the image runs. */
  main = resolve(import.meta.dirname, "../../src/cli/main.ts"),
): MeridianProcess {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), "meridian-proc-")), "kubeconfig");
  writeFileSync(kubeconfig, region.kubeconfig);
  const proc = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, KUBECONFIG: kubeconfig, LOG_LEVEL: "debug", ...env },
    stdio: ["ignore", "pipe", stderr],
  });
  const logs: Record<string, unknown>[] = [];
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line));
    } catch {
      logs.push({ msg: line });
    }
  });
  const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return {
    proc,
    logs,
    metrics,
    async metric(sample) {
      const line = (await metrics()).split("\n").find((l) => l.startsWith(`${sample} `));
      return line ? Number(line.slice(sample.length + 1)) : undefined;
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill(signal);
      await exited;
    },
  };
}
