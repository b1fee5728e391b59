import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { Agent } from "../fencing/agent.ts";
import { PostgresPromoter } from "../promotion/postgresql.ts";
import { createLogger } from "../runtime/logger.ts";
import { numericFlag } from "./flags.ts";

export const agentUsage = `usage: meridian agent [flags]
  --region NAME                  this member cluster's region, as the hub names it in the Lease's holderIdentity (required)
  --hub-url URL                  the hub API server's base URL; reachable = GET <URL>/readyz answers at all (required)
  --peer URL                     another region's agent, e.g. http://agent.eu-west:8081 (repeatable)
  --listen-port N                port of GET /v1/hub-reachable, which peers ask (default 8081)
  --metrics-port N               port of /healthz, /readyz and /metrics (default 8080)
  --check-interval-seconds N     how often Leases are checked and the hub probed (default 1)
  --hub-timeout-seconds N        hub probe timeout (default 1)
  --peer-timeout-seconds N       how long a peer may take to answer (default 1)
The member cluster is reached through $KUBECONFIG, ~/.kube/config or the in-cluster service account.
See docs/agent.md for the failsafe and the RBAC the agent needs.`;

const options = {
  region: { type: "string" },
  "hub-url": { type: "string" },
  peer: { type: "string", multiple: true },
  "listen-port": { type: "string", default: "8081" },
  "metrics-port": { type: "string", default: "8080" },
  "check-interval-seconds": { type: "string", default: "1" },
  "hub-timeout-seconds": { type: "string", default: "1" },
  "peer-timeout-seconds": { type: "string", default: "1" },
} as const;

/** Parses the flags; throws a message naming the bad flag. */
export function parseAgentArgs(argv: string[]) {
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const num = (flag: keyof typeof options, min: number): number => numericFlag(values, flag, min);
  const url = (flag: string, raw: string): string => {
    if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
      throw new Error(`--${flag} must be an http:// or https:// URL, got "${raw}"`);
    }
    return raw;
  };
  if (!values.region) throw new Error("--region is required");
  if (!values["hub-url"]) throw new Error("--hub-url is required");
  return {
    region: values.region,
    hubUrl: url("hub-url", values["hub-url"]),
    peers: (values.peer ?? []).map((p) => url("peer", p)),
    listenPort: num("listen-port", 0),
    metricsPort: num("metrics-port", 0),
    checkIntervalMs: num("check-interval-seconds", 0.05) * 1000,
    hubTimeoutMs: num("hub-timeout-seconds", 0.05) * 1000,
    peerTimeoutMs: num("peer-timeout-seconds", 0.05) * 1000,
  };
}

/** Runs the agent until SIGTERM or SIGINT. */
export async function runAgent(argv: string[]): Promise<number> {
  const args = parseAgentArgs(argv);
  const log = createLogger();
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const agent = new Agent({
    ...args,
    kc,
    log,
    promoter: new PostgresPromoter(),
    instance: `${args.region}/${process.env.POD_NAME ?? hostname()}`,
  });
  await agent.start();
  log.info(
    { region: args.region, hubUrl: args.hubUrl, peers: args.peers, listenPort: args.listenPort },
    "agent started",
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info({ signal }, "shutting down");
  await agent.stop();
  return 0;
}
