import { afterAll, beforeAll } from "vitest";
import { sharedTestbed, useNamespace } from "./context.ts";
import { type FailoverBed, fastPolicy, setUpFailoverApp } from "./failover-setup.ts";
import { deleteMemberClusters, getApp } from "./meridian.ts";
import { type OperatorProcess, startOperator } from "./operator-process.ts";
import { pollUntil } from "./poll.ts";
import { createProbeTable, SplitBrainChecker } from "./split-brain.ts";

export interface FailoverContext {
  bed: FailoverBed;
  /** Watches both databases for a write both accept, from before the operator starts. */
  checker: SplitBrainChecker;
  /** The operator started for the file, unless the file starts its own. */
  operator: OperatorProcess | undefined;
}

/**
 * The shared start of every failover test file: us-east (primary, also the hub unless `hub` names
 * another region) and eu-west, the
 * "checkout" app on PostgreSQL and BIND (see setUpFailoverApp), a split-brain checker, and an
 * operator, all torn down after the file. Returns the namespace getter and a context getter.
 */
export function useFailoverApp(
  prefix: string,
  opts: { policy?: Record<string, unknown>; operator?: boolean; hub?: string } = {},
) {
  const { region } = sharedTestbed();
  const primary = region("us-east");
  const standby = region("eu-west");
  const hub = region(opts.hub ?? "us-east");
  const ns = useNamespace([...new Set([primary, standby, hub])], prefix);
  let ctx: FailoverContext | undefined;
  beforeAll(async () => {
    const bed = await setUpFailoverApp({ hub, primary, standby }, ns(), fastPolicy(opts.policy));
    await createProbeTable(bed.pg.primary.appUri);
    const checker = new SplitBrainChecker([
      { region: "us-east", appUri: bed.pg.primary.appUri },
      { region: "eu-west", appUri: bed.pg.replica.appUri },
    ]);
    const operator =
      opts.operator === false
        ? undefined
        : await startOperator(hub, ["--namespace", ns(), "--probe-interval-seconds", "1"]);
    ctx = { bed, checker, operator };
  });
  afterAll(async () => {
    await ctx?.checker.stop();
    await ctx?.operator?.stop();
    await deleteMemberClusters(hub, ns());
    await ctx?.bed.teardown();
  });
  const get = () => {
    if (!ctx) throw new Error("the failover test bed is not up (beforeAll failed?)");
    return ctx;
  };
  /** Waits until pre-flight passes (generously: a loaded machine takes long for the first verdicts); on timeout the error quotes the condition's last message. */
  const failoverReady = (timeoutMs = 120_000) =>
    pollUntil("FailoverReady", timeoutMs, async () => {
      const app = await getApp(hub, ns(), "checkout");
      const c = app.status?.conditions?.find((x) => x.type === "FailoverReady");
      if (c?.status === "True") return true;
      throw new Error(`FailoverReady ${c?.status ?? "absent"}: ${c?.reason} ${c?.message}`);
    });
  return { hub, primary, standby, ns, get, failoverReady };
}
