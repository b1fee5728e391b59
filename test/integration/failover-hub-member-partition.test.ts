// The hub cut off from the primary region's API server only, with the primary itself healthy: the
// operator's link to us-east's member API server is cut, while the operator still reaches us-east's
// database, us-east's agent still reaches the hub (and its own cluster), and the hub's API server
// is fine. The hub in a cluster of its own, default fencing timings (15 / 10 / 2 s).
//
// What Meridian does (src/controllers/regionalapp/health.ts, src/failover/decide-failover.ts,
// src/controllers/replicapromotion/facts.ts, src/failover/promotion-steps.ts):
// - the probe of us-east's MemberCluster fails, so every observation of the region fails
//   (ApiServerUnreachable); after failureThreshold (3) of them us-east is unhealthy and a Failover
//   to eu-west starts;
// - in Fencing the hub cannot fence us-east itself: it fences only a region whose cluster probe
//   answers (it scales the workload first, through the member API), although the database link is
//   up. The region Lease keeps being renewed, so the quorum rule cannot apply either;
// - us-east's agent sees status.handover away from its region, scales the workload to zero and
//   fences the database (it reaches both directly), then acknowledges the epoch on its region Lease;
//   the hub promotes on that acknowledgement ("the old primary's agent fenced it at this epoch").
// Invariant 1 (never two writable databases) is checked at every observation while waiting, not
// only at the end; the split-brain checker itself writes to both databases every ~20 ms.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplicaPromotion } from "../../src/api/types.generated.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { endpoints, finished, hostname, promotionsOf } from "../harness/failover-setup.ts";
import { sharedHub } from "../harness/hub-context.ts";
import { getApp } from "../harness/meridian.ts";
import { type PartitionedApp, setUpPartitionedApp, waitFailoverReady } from "../harness/partition-setup.ts";
import { pollUntil } from "../harness/poll.ts";
import { query } from "../harness/postgres.ts";
import { appsApi } from "../harness/workloads.ts";

const { region } = sharedTestbed();
const hub = sharedHub();
const east = region("us-east");
const west = region("eu-west");
const ns = useNamespace([hub, east, west], "hubmember");
let app: PartitionedApp;

// No `fencing`: the API server fills in the defaults.
const policy = {
  healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
  promotion: { maxLagBytes: 16 * 1024 * 1024, timeoutSeconds: 120 },
  dns: { ttlSeconds: 30 },
};

beforeAll(async () => {
  app = await setUpPartitionedApp({ hub, members: [east, west], namespace: ns(), policy });
  await waitFailoverReady(app);
  await pollUntil("us-east's agent guards the app", 20_000, () =>
    app.agents["us-east"]?.logs.some((l) => l.reason === "LeaseRenewed"),
  );
});

afterAll(async () => {
  await app?.teardown();
});

/** The observation rate of the continuous checks, not a synchronisation. */
const observe = () => new Promise((r) => setTimeout(r, 250));

/** Invariants that hold at every instant of the scenario. */
async function checkInvariants(what: string): Promise<ReplicaPromotion[]> {
  expect(app.checker.splitBrainRounds(), `${what}: never two writable databases`).toEqual([]);
  const promotions = await promotionsOf(hub, ns(), "checkout");
  expect(promotions.length, `${what}: at most one promotion`).toBeLessThanOrEqual(1);
  return promotions;
}

const datallowconn = async (uri: string) =>
  (
    await query<{ datallowconn: boolean }>(
      uri.replace(/\/appdb$/, "/postgres"),
      "select datallowconn from pg_database where datname = 'appdb'",
    )
  )[0]?.datallowconn;

describe("the hub cut off from the primary region's API server, the primary healthy", () => {
  it("a failover starts; us-east's agent fences on the handover and acknowledges; the hub promotes eu-west on the acknowledgement, never two writable primaries", async () => {
    const cutAt = Date.now();
    app.links.operatorMember["us-east"]?.cut();

    let done: ReplicaPromotion | undefined;
    while (!done) {
      const [p] = await checkInvariants("until the failover finishes");
      if (finished(p)) done = p;
      else {
        expect(
          Date.now() - cutAt,
          `the failover finishes; last seen ${JSON.stringify(p?.status)}`,
        ).toBeLessThan(120_000);
        await observe();
      }
    }
    const total = (Date.now() - cutAt) / 1000;

    expect(done.status?.phase, JSON.stringify(done.status?.steps)).toBe("Succeeded");
    expect(done.spec.type).toBe("Failover");
    expect(done.spec.targetRegion).toBe("eu-west");
    const steps = Object.fromEntries((done.status?.steps ?? []).map((s) => [s.name, s]));
    // Invariant 2: the hub could not reach us-east's API server to fence it (and does not fence an
    // old primary whose cluster it cannot probe, even with its database reachable); us-east's agent
    // saw the handover, closed the database and acknowledged the epoch, and the hub promoted on that.
    expect(steps.Promoting?.message).toContain("agent fenced it at this epoch");
    const epoch = done.status?.epoch;
    expect(epoch).toBeGreaterThan(0);
    const fenced = app.agents["us-east"]?.logs.find((l) => l.msg === "region fenced");
    expect(fenced, "us-east's agent logged its fence").toMatchObject({ reason: "HandedOver", epoch });
    expect(
      app.agents["eu-west"]?.logs.some((l) => l.msg === "region fenced"),
      "eu-west's agent fenced nothing",
    ).toBe(false);

    const view = await getApp(hub, ns(), "checkout");
    expect(view.status?.currentPrimary).toBe("eu-west");
    const eastStatus = view.status?.regions?.find((r) => r.name === "us-east");
    expect(eastStatus?.healthy).toBe(false);
    expect(eastStatus?.message).toContain("unreachable");

    // us-east's database refuses connections, closed by its agent; its workload is scaled to zero
    // (read directly from the member cluster: only the operator's link to it is cut).
    expect(await datallowconn(app.pg.primary.meridianUri)).toBe(false);
    const eastReplicas = (await appsApi(east).readNamespacedDeployment({ name: "checkout", namespace: ns() }))
      .spec?.replicas;
    expect(eastReplicas).toBe(0);
    expect(await app.bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
    console.log(
      `[hub-member-partition] promoted ${((Date.parse(steps.Promoting?.startedAt ?? "") - cutAt) / 1000).toFixed(1)} s after the cut; done ${total.toFixed(1)} s`,
    );

    // Still cut: for 10 s nothing else happens. No second promotion (eu-west is the healthy
    // primary; us-east stays unhealthy), us-east stays closed and eu-west takes the writes.
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const promotions = await checkInvariants("after the failover");
      expect(promotions.map((p) => p.metadata?.name)).toEqual([done.metadata?.name]);
      const recent = app.checker.rounds.slice(-25);
      expect(
        recent.some((r) => r.writable.includes("us-east")),
        "us-east took no writes lately",
      ).toBe(false);
      expect(
        recent.some((r) => r.writable.includes("eu-west")),
        "eu-west took writes lately",
      ).toBe(true);
      await observe();
    }
    expect(await datallowconn(app.pg.primary.meridianUri)).toBe(false);
    expect(app.checker.splitBrainRounds()).toEqual([]);
    expect(app.checker.writableRounds("us-east")).toBeGreaterThan(0);
    expect(app.checker.writableRounds("eu-west")).toBeGreaterThan(0);
  });
});
