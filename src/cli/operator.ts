import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { crdsNotEstablished } from "../api/install.ts";
import { dnsProviderFor } from "../dns/factory.ts";
import { Operator } from "../operator/manager.ts";
import { promoterFor } from "../promotion/engines.ts";
import { describeApiError } from "../runtime/api-errors.ts";
import { leaderElectionDefaults } from "../runtime/leader-election.ts";
import { createLogger } from "../runtime/logger.ts";
import { numericFlag } from "./flags.ts";

export const operatorUsage = `usage: meridian operator [flags]
  --namespace NAME               namespace of the leader-election Lease (default $POD_NAMESPACE or meridian-system)
  --metrics-port N               port of /healthz, /readyz and /metrics (default 8080)
  --probe-interval-seconds N     member-cluster probe interval (default 2)
  --probe-timeout-seconds N      member-cluster probe timeout (default 1)
  --lease-duration-seconds N     leader election (default 15)
  --renew-deadline-seconds N     leader election (default 10)
  --retry-period-seconds N       leader election (default 2)
  --concurrency N                reconciles per controller at once (default 16)
The hub is reached through $KUBECONFIG, ~/.kube/config or the in-cluster service account.`;

const options = {
  namespace: { type: "string" },
  "metrics-port": { type: "string", default: "8080" },
  "probe-interval-seconds": { type: "string", default: "2" },
  "probe-timeout-seconds": { type: "string", default: "1" },
  "lease-duration-seconds": { type: "string", default: String(leaderElectionDefaults.leaseDurationSeconds) },
  "renew-deadline-seconds": { type: "string", default: String(leaderElectionDefaults.renewDeadlineSeconds) },
  "retry-period-seconds": { type: "string", default: String(leaderElectionDefaults.retryPeriodSeconds) },
  concurrency: { type: "string", default: "16" },
} as const;

/** Parses the flags; throws a message naming the bad flag. */
export function parseOperatorArgs(argv: string[]) {
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const num = (flag: keyof typeof options, min: number): number => numericFlag(values, flag, min);
  const leaseDurationSeconds = num("lease-duration-seconds", 1);
  const renewDeadlineSeconds = num("renew-deadline-seconds", 0.1);
  const retryPeriodSeconds = num("retry-period-seconds", 0.1);
  if (renewDeadlineSeconds >= leaseDurationSeconds) {
    throw new Error("--renew-deadline-seconds must be less than --lease-duration-seconds");
  }
  return {
    namespace: values.namespace ?? process.env.POD_NAMESPACE ?? "meridian-system",
    metricsPort: num("metrics-port", 0),
    probeIntervalMs: num("probe-interval-seconds", 0.1) * 1000,
    probeTimeoutMs: num("probe-timeout-seconds", 0.1) * 1000,
    concurrency: num("concurrency", 1),
    leaseDurationSeconds,
    renewDeadlineSeconds,
    retryPeriodSeconds,
  };
}

/** Runs the hub operator until SIGTERM or SIGINT. */
export async function runOperator(argv: string[]): Promise<number> {
  const args = parseOperatorArgs(argv);
  const log = createLogger();
  const hub = new KubeConfig();
  hub.loadFromDefault();
  const identity = `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString("hex")}`;
  try {
    const missing = await crdsNotEstablished(hub);
    if (missing.length > 0)
      log.error({ missing }, "Meridian CRDs are not installed in the hub: kubectl apply -f crds/");
  } catch (err) {
    log.warn({ err: describeApiError(err) }, "could not check the CRDs; continuing");
  }
  const operator = new Operator({
    hub,
    log,
    metricsPort: args.metricsPort,
    probeIntervalMs: args.probeIntervalMs,
    probeTimeoutMs: args.probeTimeoutMs,
    concurrency: args.concurrency,
    promoterFor,
    dnsFor: (app) => dnsProviderFor(app, hub),
    leaderElection: {
      namespace: args.namespace,
      name: "meridian-operator",
      identity,
      leaseDurationSeconds: args.leaseDurationSeconds,
      renewDeadlineSeconds: args.renewDeadlineSeconds,
      retryPeriodSeconds: args.retryPeriodSeconds,
    },
  });
  await operator.start();
  log.info({ identity, metricsPort: args.metricsPort }, "operator started");
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info({ signal }, "shutting down");
  await operator.stop();
  return 0;
}
