import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { Agent } from "../fencing/agent.ts";
import { PostgresPromoter } from "../promotion/postgresql.ts";
import { createLogger } from "../runtime/logger.ts";
import { numericFlag } from "./flags.ts";

export const agentUsage = `usage: meridian agent [flags]
  --cluster NAME                 the MemberCluster this agent guards, as the hub names it (required)
  --hub-kubeconfig FILE          kubeconfig of the hub cluster: region Lease, RegionalApps, policies (required)
  --hub-namespace NAME           hub namespace of the region Leases (default meridian-system)
  --state-namespace NAME         member-cluster namespace of the agent's ConfigMap meridian-agent-<cluster> (default meridian-system)
  --peer URL                     another member cluster's agent, e.g. http://agent.eu-west:8081 (repeatable)
  --listen-port N                port of GET /v1/promise, which peers ask (default 8081)
  --metrics-port N               port of /healthz, /readyz and /metrics (default 8080)
  --check-interval-seconds N     how often every guarded app is decided (default 0.25)
  --peer-timeout-seconds N       how long a peer may take to answer (default 1)
The member cluster is reached through $KUBECONFIG, ~/.kube/config or the in-cluster service account.
See docs/fencing.md ("The agent") for the protocol, the RBAC it needs and its metrics.`;

const options = {
  cluster: { type: "string" },
  "hub-kubeconfig": { type: "string" },
  "hub-namespace": { type: "string", default: "meridian-system" },
  "state-namespace": { type: "string", default: "meridian-system" },
  peer: { type: "string", multiple: true },
  "listen-port": { type: "string", default: "8081" },
  "metrics-port": { type: "string", default: "8080" },
  "check-interval-seconds": { type: "string", default: "0.25" },
  "peer-timeout-seconds": { type: "string", default: "1" },
} as const;

const dnsLabel = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

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
  const name = (flag: "cluster" | "hub-namespace" | "state-namespace", raw: string): string => {
    if (!dnsLabel.test(raw)) throw new Error(`--${flag} must be a Kubernetes object name, got "${raw}"`);
    return raw;
  };
  if (!values.cluster) throw new Error("--cluster is required");
  if (!values["hub-kubeconfig"]) throw new Error("--hub-kubeconfig is required");
  return {
    cluster: name("cluster", values.cluster),
    hubKubeconfig: values["hub-kubeconfig"],
    hubNamespace: name("hub-namespace", values["hub-namespace"]),
    stateNamespace: name("state-namespace", values["state-namespace"]),
    peers: (values.peer ?? []).map((p) => url("peer", p)),
    listenPort: num("listen-port", 0),
    metricsPort: num("metrics-port", 0),
    checkIntervalMs: num("check-interval-seconds", 0.05) * 1000,
    peerTimeoutMs: num("peer-timeout-seconds", 0.05) * 1000,
  };
}

/** Runs the agent until SIGTERM or SIGINT. */
export async function runAgent(argv: string[]): Promise<number> {
  const args = parseAgentArgs(argv);
  const log = createLogger();
  const member = new KubeConfig();
  member.loadFromDefault();
  const hub = new KubeConfig();
  try {
    hub.loadFromFile(args.hubKubeconfig);
  } catch (err) {
    throw new Error(`--hub-kubeconfig ${args.hubKubeconfig}: ${(err as Error).message}`);
  }
  const agent = new Agent({
    ...args,
    member,
    hub,
    log,
    promoter: new PostgresPromoter(),
    instance: `${args.cluster}/${process.env.POD_NAME ?? hostname()}`,
  });
  await agent.start();
  log.info(
    {
      cluster: args.cluster,
      hub: hub.getCurrentCluster()?.server,
      peers: args.peers,
      listenPort: args.listenPort,
    },
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
