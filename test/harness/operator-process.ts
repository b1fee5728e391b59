import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Region } from "./testbed.ts";

/** A `meridian operator` process against a hub region, as a user would run it. */
export interface OperatorProcess {
  proc: ChildProcess;
  metricsPort: number;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** The /metrics text. */
  metrics(): Promise<string>;
  /** The value of one sample, e.g. metric('leader_election_master_status{name="meridian-operator"}'). */
  metric(sample: string): Promise<number | undefined>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

export async function startOperator(
  hub: Region,
  args: string[],
  env: Record<string, string> = {},
): Promise<OperatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), "meridian-op-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, hub.kubeconfig);
  const metricsPort = await freePort();
  const main = resolve(import.meta.dirname, "../../src/cli/main.ts");
  const proc = spawn(process.execPath, [main, "operator", "--metrics-port", String(metricsPort), ...args], {
    env: { ...process.env, KUBECONFIG: kubeconfig, LOG_LEVEL: "debug", ...env },
    stdio: ["ignore", "pipe", "inherit"],
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
    metricsPort,
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
