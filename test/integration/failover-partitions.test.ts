// The hub in a cluster of its own, two member regions with an agent each, default fencing timings
// (15 / 10 / 2 s), and a FaultProxy on every link. Each scenario asserts invariant 1 continuously
// (the split-brain checker writes to both databases every ~20 ms) and what must not happen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { RegionalApp } from "../../src/api/types.generated.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { promotionFinished, promotionsOf } from "../harness/failover-setup.ts";
import { sharedHub } from "../harness/hub-context.ts";
import { custom } from "../harness/meridian.ts";
import { type PartitionedApp, setUpPartitionedApp, waitFailoverReady } from "../harness/partition-setup.ts";
import { pollUntil } from "../harness/poll.ts";
import { appsApi, scaleDeployment } from "../harness/workloads.ts";

const { bed, region } = sharedTestbed();
const hub = sharedHub();
const east = region("us-east");
const west = region("eu-west");
const ns = useNamespace([hub, east, west], "partition");
let app: PartitionedApp;

const policy = {
  healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
  promotion: { maxLagBytes: 16 * 1024 * 1024, timeoutSeconds: 300 },
  dns: { ttlSeconds: 30 },
};

beforeAll(async () => {
  app = await setUpPartitionedApp({ hub, members: [east, west], namespace: ns(), policy });
  await waitFailoverReady(app);
});

afterAll(async () => {
  await app?.teardown();
});

const replicasOf = async (member: typeof east) =>
  (await appsApi(member).readNamespacedDeployment({ name: "checkout", namespace: ns() })).spec?.replicas;

/**
 * Holds for `ms`: at every check, us-east is still the writable primary (the checker's latest
 * rounds found it writable), nothing is fenced, no promotion was created, and no round found two
 * writable databases.
 */
async function primaryKeepsServing(what: string, ms: number, hubUp = true): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    expect(app.checker.splitBrainRounds(), what).toEqual([]);
    const recent = app.checker.rounds.slice(-25);
    expect(
      recent.some((r) => r.writable.includes("us-east")),
      `${what}: us-east took writes lately`,
    ).toBe(true);
    if (hubUp) expect(await promotionsOf(hub, ns(), "checkout"), `${what}: no promotion`).toEqual([]);
    expect(await replicasOf(east), `${what}: us-east's workload untouched`).toBe(2);
    await new Promise((r) => setTimeout(r, 500)); // the observation rate of this check, not a synchronisation
  }
}

async function getApp(): Promise<RegionalApp> {
  return (await custom(hub).getNamespacedCustomObject({
    group,
    version,
    plural: "regionalapps",
    namespace: ns(),
    name: "checkout",
  })) as RegionalApp;
}

describe("partitions and process loss around a healthy primary", () => {
  it("the only operator SIGKILLed for 30 s: the primary keeps serving, nothing fenced, no failover after it returns", async () => {
    for (const op of app.operators.splice(0)) await op.stop("SIGKILL");
    await primaryKeepsServing("operator down", 30_000);
    await app.startOperator();
    await primaryKeepsServing("operator back", 20_000);
  });

  it("two operator replicas, the leader SIGKILLed: the standby takes over and nothing is fenced or failed over", async () => {
    const standby = await app.startOperator();
    const leader = app.operators[0];
    await pollUntil(
      "the second replica is a standby",
      20_000,
      async () => (await standby.metric('leader_election_master_status{name="meridian-operator"}')) === 0,
    );
    await leader?.stop("SIGKILL");
    await pollUntil(
      "the standby leads",
      30_000,
      async () => (await standby.metric('leader_election_master_status{name="meridian-operator"}')) === 1,
    );
    await primaryKeepsServing("after the leader change", 25_000);
  });

  it("the hub's API server stopped for 30 s: the failsafe keeps the primary (nothing fenced, nothing promoted), and nothing flaps when it returns", async () => {
    await bed.stop(hub.name);
    try {
      await primaryKeepsServing("hub API server down", 30_000, false);
    } finally {
      await bed.start(hub.name);
    }
    // Back: its storage answers 429 until it has reinitialised.
    await pollUntil(
      "the hub serves Meridian's kinds again",
      60_000,
      () => promotionsOf(hub, ns(), "checkout"),
      500,
    );
    await primaryKeepsServing("hub API server back", 30_000);
  });
});

describe("a frozen standby database", () => {
  it("eu-west's replica SIGSTOPped for 25 s (hub, operator and us-east untouched): us-east keeps serving, nothing fenced, no failover to the frozen replica", async () => {
    // The first design measured lag inside the reconcile that renewed us-east's Lease: a frozen
    // replica stalled the renewals and the agent fenced the healthy primary. Nothing renews per app now.
    app.pg.freeze(app.pg.replica);
    try {
      await primaryKeepsServing("eu-west's replica frozen", 25_000);
    } finally {
      app.pg.thaw(app.pg.replica);
    }
    await primaryKeepsServing("eu-west's replica thawed", 10_000);
  });
});

describe("hub ingress cut while the hub still reaches the member clusters", () => {
  it("with us-east failing and its database out of the hub's reach, nothing is promoted while us-east may serve; once healed, exactly one failover", async () => {
    for (const p of Object.values(app.links.agentHub)) p.blackhole();
    app.links.operatorDb["us-east"]?.blackhole();
    await scaleDeployment(east, ns(), "checkout", 0);
    // The hub decides to fail over, but can neither fence us-east's database nor count a majority:
    // both agents abstain and promise each other, and us-east keeps its database open.
    const promotion = await pollUntil(
      "a failover starts",
      30_000,
      async () => (await promotionsOf(hub, ns(), "checkout"))[0],
    );
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const [p] = await promotionsOf(hub, ns(), "checkout");
      expect(["Pending", "Fencing"]).toContain(p?.status?.phase ?? "Pending");
      expect(app.checker.splitBrainRounds()).toEqual([]);
      await new Promise((r) => setTimeout(r, 500)); // observation rate
    }
    expect(app.checker.rounds.slice(-25).some((r) => r.writable.includes("us-east"))).toBe(true);
    app.heal();
    const done = await promotionFinished(hub, ns(), "checkout", 90_000);
    expect(done.metadata?.name).toBe(promotion.metadata?.name);
    expect(done.status?.phase).toBe("Succeeded");
    expect(await promotionsOf(hub, ns(), "checkout")).toHaveLength(1);
    expect((await getApp()).status?.currentPrimary).toBe("eu-west");
    expect(app.checker.splitBrainRounds()).toEqual([]);
    expect(app.checker.writableRounds("eu-west")).toBeGreaterThan(0);
  });
});
