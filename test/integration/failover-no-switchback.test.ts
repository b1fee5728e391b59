import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { RegionalApp, ReplicaPromotion } from "../../src/api/types.generated.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { installDnsEndpointCrd } from "../harness/externaldns.ts";
import { finished, promotionsOf } from "../harness/failover-setup.ts";
import {
  createObject,
  createPolicy,
  custom,
  deleteMemberClusters,
  getApp,
  regionalApp,
  setUpRegions,
} from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { appsApi, scaleDeployment } from "../harness/workloads.ts";

// Issue 9, item 2 and the three-region scenario: after one automatic failover, spec.primaryRegion
// still names the old region; that difference alone must never start a switchover back (failback
// Manual), nor a second failover to the third region. Only a *change* in Git moves the app.

const { region } = sharedTestbed();
const usEast = region("us-east");
const euWest = region("eu-west");
const apSouth = region("ap-south");
const hub = usEast;
const ns = useNamespace([usEast, euWest, apSouth], "noswitchback");
const app = "shop";
let operator: OperatorProcess;

const condition = (a: RegionalApp, type: string) => a.status?.conditions?.find((c) => c.type === type);
const summary = (ps: ReplicaPromotion[]) =>
  ps.map((p) => `${p.spec.type} ${p.spec.targetRegion} ${p.metadata?.name}`).sort();

async function setPrimaryRegion(value: string): Promise<void> {
  await custom(hub).patchNamespacedCustomObject(
    {
      group,
      version,
      plural: "regionalapps",
      namespace: ns(),
      name: app,
      body: { spec: { primaryRegion: value } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

beforeAll(async () => {
  await installDnsEndpointCrd(hub);
  const regions = [usEast, euWest, apSouth];
  const clusters = await setUpRegions(hub, ns(), regions, app, 1);
  // Detection in 3 s; failback and minSecondsBetweenFailovers (600 s) keep their defaults.
  await createPolicy(hub, ns(), "fast", {
    intervalSeconds: 1,
    timeoutSeconds: 1,
    failureThreshold: 3,
    successThreshold: 1,
  });
  const body = regionalApp(
    app,
    ns(),
    "fast",
    regions.map((r) => ({ name: r.name, clusterRef: clusters[r.name] as string, workload: app })),
  );
  // eu-west is the priority-1 failover target, ap-south the second choice.
  body.spec.regions = body.spec.regions.map((r) => ({ ...r, priority: r.name === "ap-south" ? 2 : 1 }));
  await createObject(hub, "regionalapps", body, ns());
  operator = await startOperator(hub, ["--namespace", ns(), "--probe-interval-seconds", "1"]);
});

afterAll(async () => {
  await operator?.stop();
  await deleteMemberClusters(hub, ns());
});

describe("no switch-back after an automatic failover (engine none, three regions)", () => {
  it("fails over once, then moves only when spec.primaryRegion changes", async () => {
    const ready = await pollUntil("FailoverReady and spec recorded", 60_000, async () => {
      const a = await getApp(hub, ns(), app);
      return condition(a, "FailoverReady")?.status === "True" && a.status?.lastAppliedPrimaryRegion
        ? a
        : undefined;
    });
    expect(ready.status?.lastAppliedPrimaryRegion).toBe("us-east");
    expect(condition(ready, "PrimaryAsSpecified")).toMatchObject({
      status: "True",
      reason: "PrimaryMatchesSpec",
    });

    await scaleDeployment(usEast, ns(), app, 0);
    const [failover] = await pollUntil("a promotion", 30_000, async () => {
      const ps = await promotionsOf(hub, ns(), app);
      return ps.length > 0 ? ps : undefined;
    });
    expect(failover?.metadata?.name).toBe(`${app}-failover-1-1`);
    expect(failover?.spec).toMatchObject({ type: "Failover", targetRegion: "eu-west" });
    const done = await pollUntil("the failover finished", 60_000, async () => {
      const [p] = await promotionsOf(hub, ns(), app);
      return finished(p) ? p : undefined;
    });
    expect(done.status?.phase).toBe("Succeeded");
    await pollUntil("the app records eu-west", 10_000, async () => {
      const a = await getApp(hub, ns(), app);
      return a.status?.currentPrimary === "eu-west";
    });

    // 60 s with spec.primaryRegion still us-east: no promotion back, none to ap-south.
    const until = Date.now() + 60_000;
    let polls = 0;
    while (Date.now() < until) {
      const ps = await promotionsOf(hub, ns(), app);
      expect(summary(ps)).toEqual([`Failover eu-west ${app}-failover-1-1`]);
      polls++;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(polls).toBeGreaterThan(60);
    const after = await getApp(hub, ns(), app);
    expect(after.spec.primaryRegion).toBe("us-east");
    expect(after.status?.currentPrimary).toBe("eu-west");
    expect(after.status?.epoch).toBe(1);
    expect(after.status?.lastAppliedPrimaryRegion).toBe("us-east");
    const differs = condition(after, "PrimaryAsSpecified");
    expect(differs).toMatchObject({ status: "False", reason: "PrimaryDiffersFromSpec" });
    expect(differs?.message).toContain(
      `us-east failed over to eu-west at epoch 1 (ReplicaPromotion ${app}-failover-1-1)`,
    );
    expect(differs?.message).toContain("set spec.primaryRegion: eu-west in Git");
    // ap-south was never touched.
    const third = await appsApi(apSouth).readNamespacedDeployment({ name: app, namespace: ns() });
    expect(third.spec?.replicas).toBe(1);

    // Accepting the new primary in Git records it; nothing moves.
    await setPrimaryRegion("eu-west");
    const accepted = await pollUntil("eu-west recorded and PrimaryAsSpecified", 15_000, async () => {
      const a = await getApp(hub, ns(), app);
      return a.status?.lastAppliedPrimaryRegion === "eu-west" &&
        condition(a, "PrimaryAsSpecified")?.status === "True"
        ? a
        : undefined;
    });
    expect(accepted.status?.currentPrimary).toBe("eu-west");
    await new Promise((r) => setTimeout(r, 5_000));
    expect(summary(await promotionsOf(hub, ns(), app))).toEqual([`Failover eu-west ${app}-failover-1-1`]);

    // A change to another region is a planned switchover: exactly one.
    await setPrimaryRegion("ap-south");
    await pollUntil("a switchover", 15_000, async () => (await promotionsOf(hub, ns(), app)).length > 1);
    await new Promise((r) => setTimeout(r, 5_000));
    const all = await promotionsOf(hub, ns(), app);
    expect(summary(all)).toEqual([
      `Failover eu-west ${app}-failover-1-1`,
      `Switchover ap-south ${app}-switchover-2-2`,
    ]);
    const switchover = all.find((p) => p.spec.type === "Switchover");
    expect(switchover?.spec).toMatchObject({
      approved: true,
      reason: "spec.primaryRegion changed from eu-west to ap-south",
    });
    expect((await getApp(hub, ns(), app)).status?.lastAppliedPrimaryRegion).toBe("ap-south");
  });
});
