// The real ExternalDNS (v0.20.0, hack/build-externaldns.sh) as a local process: it watches
// DNSEndpoint objects in one namespace of a hub (--source=crd) and publishes them to a test BIND
// with its rfc2136 provider, signed with the BIND server's TSIG key. Vitest-free, so the DNS
// benchmark starts it too.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { externalDnsBinary } from "./binaries.ts";
import type { BindServer } from "./bind.ts";
import { freePort } from "./operator-process.ts";
import { pollUntil } from "./poll.ts";
import type { Region } from "./testbed.ts";

export interface ExternalDnsOptions {
  hub: Region;
  /** The namespace whose DNSEndpoints it publishes. */
  namespace: string;
  bind: BindServer;
  zone: string;
  /** --events: sync on DNSEndpoint changes (at most every --min-event-sync-interval), not only every interval. */
  events?: boolean;
  /** --interval; ExternalDNS's default (1m) when omitted. */
  interval?: string;
  /** --txt-owner-id: which ExternalDNS owns the records it creates (TXT registry). */
  ownerId?: string;
}

export interface ExternalDnsProcess {
  proc: ChildProcess;
  /** Its log so far (logfmt lines on stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startExternalDns(opts: ExternalDnsOptions): Promise<ExternalDnsProcess> {
  const binary = await externalDnsBinary();
  const dir = await mkdtemp(join(tmpdir(), "meridian-externaldns-"));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, opts.hub.kubeconfig);
  const metricsPort = await freePort();
  const args = [
    "--provider=rfc2136",
    "--source=crd",
    `--kubeconfig=${kubeconfig}`,
    `--namespace=${opts.namespace}`,
    "--rfc2136-host=127.0.0.1",
    `--rfc2136-port=${opts.bind.port}`,
    `--rfc2136-zone=${opts.zone}`,
    `--rfc2136-tsig-keyname=${opts.bind.key.name}`,
    `--rfc2136-tsig-secret=${opts.bind.key.secret}`,
    `--rfc2136-tsig-secret-alg=${opts.bind.key.algorithm}`,
    // Reads the zone by a signed AXFR, so it sees (and owns, by its TXT records) what it wrote.
    "--rfc2136-tsig-axfr",
    `--domain-filter=${opts.zone}`,
    "--policy=sync",
    "--registry=txt",
    `--txt-owner-id=${opts.ownerId ?? "meridian-tests"}`,
    `--metrics-address=127.0.0.1:${metricsPort}`,
    "--log-level=debug",
    ...(opts.interval ? [`--interval=${opts.interval}`] : []),
    ...(opts.events ? ["--events"] : []),
  ];
  const proc = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr?.on("data", (chunk: Buffer) => {
    // Keep the tail only: at debug level it logs every record of every sync.
    log = (log + chunk.toString()).slice(-200_000);
  });
  const killOnExit = () => proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // /healthz answers once its sources and provider are set up.
    const state = await pollUntil("ExternalDNS to serve /healthz", 60_000, async () => {
      if (proc.exitCode !== null) return "exited";
      const res = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => undefined);
      return res?.ok && "serving";
    });
    if (state === "exited") throw new Error(`ExternalDNS exited with ${proc.exitCode}`);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log.slice(-4000)}`);
  }
  return { proc, log: () => log, stop };
}
