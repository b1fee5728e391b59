import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import {
  createObject,
  createPolicy,
  deleteMemberClusters,
  getApp,
  regionalApp,
  setUpRegions,
} from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { scaleDeployment } from "../harness/workloads.ts";

const { region } = sharedTestbed();
const hub = region("us-east");
const member = region("eu-west");
const ns = useNamespace([hub, member], "leader");
const leaseSeconds = 4;
const args = () => [
  "--namespace",
  ns(),
  "--probe-interval-seconds",
  "1",
  "--lease-duration-seconds",
  String(leaseSeconds),
  "--renew-deadline-seconds",
  "3",
  "--retry-period-seconds",
  "0.5",
];
const leading = `leader_election_master_status{name="meridian-operator"}`;
const reconciles = `controller_runtime_reconcile_total{controller="regionalapp",result="requeue_after"}`;
const operators: OperatorProcess[] = [];

beforeAll(async () => {
  const clusters = await setUpRegions(hub, ns(), [hub, member], "web", 1);
  await createPolicy(hub, ns(), "fast", {
    intervalSeconds: 1,
    timeoutSeconds: 1,
    failureThreshold: 2,
    successThreshold: 1,
  });
  const appRegions = [hub, member].map((r) => ({
    name: r.name,
    clusterRef: clusters[r.name] as string,
    workload: "web",
  }));
  await createObject(hub, "regionalapps", regionalApp("web", ns(), "fast", appRegions), ns());
});

afterAll(async () => {
  for (const op of operators) await op.stop("SIGKILL");
  await deleteMemberClusters(hub, ns());
});

describe("operator: two replicas, one leader", () => {
  it("only the leader reconciles; a SIGKILLed leader is replaced within the lease duration", async () => {
    const first = await startOperator(hub, args());
    operators.push(first);
    await pollUntil("first leads", 20_000, async () => (await first.metric(leading).catch(() => 0)) === 1);
    const second = await startOperator(hub, args());
    operators.push(second);
    await pollUntil(
      "second serves metrics",
      20_000,
      async () => (await second.metric(leading).catch(() => undefined)) === 0,
    );
    await pollUntil(
      "first reconciles the app",
      20_000,
      async () => ((await first.metric(reconciles)) ?? 0) > 2,
    );

    // The standby keeps its caches warm but acts on nothing: no reconcile, no probe.
    const standby = await second.metrics();
    expect(standby).not.toMatch(/^controller_runtime_reconcile_total\{/m);
    expect(standby).not.toMatch(/^meridian_probe_duration_seconds_count\{/m);
    expect(await second.metric(leading)).toBe(0);

    const killedAt = Date.now();
    await first.stop("SIGKILL");
    await pollUntil(
      "second takes over",
      (leaseSeconds + 4) * 1000,
      async () => (await second.metric(leading)) === 1,
    );
    const handover = (Date.now() - killedAt) / 1000;
    console.log(
      `[operator-leader] handover after SIGKILL: ${handover.toFixed(1)} s (lease ${leaseSeconds} s)`,
    );
    expect(handover).toBeLessThanOrEqual(leaseSeconds + 3);

    // The new leader acts: a workload scaled to zero is noticed and recorded.
    await scaleDeployment(member, ns(), "web", 0);
    await pollUntil("new leader records eu-west unhealthy", 20_000, async () => {
      const app = await getApp(hub, ns(), "web");
      return app.status?.regions?.find((r) => r.name === "eu-west")?.healthy === false;
    });
    expect(((await second.metric(reconciles)) ?? 0) > 0).toBe(true);
  });
});
