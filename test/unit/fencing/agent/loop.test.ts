import { describe, expect, it } from "vitest";
import type { GuardedApp } from "../../../../src/fencing/agent/assignments.ts";
import {
  FenceLoop,
  type LoopIo,
  type PeerPromise,
  type Scheduler,
} from "../../../../src/fencing/agent/loop.ts";
import { defaultTiming, type FencingTiming } from "../../../../src/fencing/protocol/timing.ts";
import type { RegionLeaseContent } from "../../../../src/fencing/region-lease.ts";

/** A fake monotonic clock: timers run in order as time is advanced, with promises settled in between. */
class FakeClock implements Scheduler {
  t = 0;
  #timers: { at: number; seq: number; fn: () => void }[] = [];
  #seq = 0;
  now = () => this.t;
  after = (ms: number, fn: () => void) => {
    const timer = { at: this.t + ms, seq: this.#seq++, fn };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((x) => x !== timer);
    };
  };
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers[0];
      if (!next || next.at > end) break;
      this.#timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

type HubMode = "ok" | "hang" | "refuse";

/** One agent's world: its hub link, its peers, and what it fenced. */
class World {
  hub: HubMode = "ok";
  renewals: { at: number; content: RegionLeaseContent }[] = [];
  fences: { at: number; app: string; scope: string; reason: string; epoch: number }[] = [];
  peers = new Map<string, () => PeerPromise | { refused: string } | "silent">();
  readonly clock: FakeClock;
  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  io: LoopIo = {
    renew: (content, signal) => {
      this.renewals.push({ at: this.clock.t, content });
      if (this.hub === "ok") return Promise.resolve();
      if (this.hub === "refuse") return Promise.reject(new Error("connection refused"));
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    },
    askPromise: async (peer) => {
      const answer = this.peers.get(peer)?.();
      if (answer === undefined || answer === "silent") throw new Error("no answer");
      return "refused" in answer ? undefined : answer;
    },
    fence: async (app, scope, reason, epoch) => {
      this.fences.push({ at: this.clock.t, app: app.name, scope, reason, epoch });
      return "done";
    },
  };
}

function app(
  name: string,
  over: Partial<GuardedApp> = {},
  timing: FencingTiming = defaultTiming,
): GuardedApp {
  return {
    namespace: "shop",
    name,
    region: "us-east",
    workload: { kind: "Deployment", namespace: "shop", name },
    databaseSecret: `pg-${name}`,
    epoch: 3,
    assignment: { primaryCluster: "us-east" },
    timing,
    ...over,
  };
}

function agent(
  clock: FakeClock,
  world: World,
  self: string,
  apps: GuardedApp[],
  opts: { members?: string[]; peers?: string[] } = {},
) {
  const loop = new FenceLoop({
    self,
    peers: opts.peers ?? [],
    checkIntervalMs: 250,
    scheduler: clock,
    io: world.io,
    apps: () => apps,
    members: () => opts.members ?? ["eu-west", "us-east"],
  });
  return loop;
}

describe("the agent loop (fake clock, default timings: renew deadline 10 s, lease 15 s)", () => {
  it("renews every renewInterval as a vote and fences nothing while renewals succeed", async () => {
    const clock = new FakeClock();
    const world = new World(clock);
    const loop = agent(clock, world, "us-east", [app("checkout")]);
    loop.start();
    await clock.advance(60_000);
    expect(world.fences).toEqual([]);
    // renewInterval = min(retryPeriod 2 s, renewDeadline / 8) = 1.25 s
    expect(world.renewals.length).toBeGreaterThanOrEqual(48);
    const gaps = world.renewals.slice(1).map((r, i) => r.at - (world.renewals[i] as { at: number }).at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1250);
    expect(world.renewals.every((r) => !r.content.abstain)).toBe(true);
    expect(world.renewals.at(-1)?.content.voters).toEqual(["eu-west", "us-east"]);
    expect(loop.reasonOf("shop/checkout")).toBe("LeaseRenewed");
    loop.stop();
  });

  it("fences the primary's app once its last successful renewal is older than the renew deadline (no peers)", async () => {
    const clock = new FakeClock();
    const world = new World(clock);
    const loop = agent(clock, world, "us-east", [
      app("checkout"),
      app("ledger", { assignment: { primaryCluster: "eu-west" } }),
    ]);
    loop.start();
    await clock.advance(5000);
    world.hub = "hang"; // blackhole: every renewal times out
    const lastSent = (world.renewals.at(-1) as { at: number }).at;
    await clock.advance(30_000);
    const checkout = world.fences.find((f) => f.app === "checkout");
    expect(checkout).toMatchObject({ scope: "app", reason: "RenewDeadlinePassed", epoch: 3 });
    // Not before the deadline, measured from the *send* of the last successful renewal; then within a check.
    expect(checkout?.at).toBeGreaterThan(lastSent + 10_000);
    expect(checkout?.at).toBeLessThanOrEqual(lastSent + 10_000 + 250);
    // A standby region's database is fenced too, if it turns out to be writable.
    expect(world.fences.find((f) => f.app === "ledger")).toMatchObject({
      scope: "database",
      reason: "RenewDeadlinePassedStandby",
    });
    // Renewals abstain once the hub has not been reached for abstainAfter (2.5 s).
    expect(world.renewals.at(-1)?.content.abstain).toBe(true);
    expect(loop.abstaining()).toBe(true);
    loop.stop();
  });

  it("keeps serving while a peer promises, in a two-region setup where both lost the hub", async () => {
    const clock = new FakeClock();
    const east = new World(clock);
    const west = new World(clock);
    const members = ["eu-west", "us-east"];
    const eastLoop = agent(clock, east, "us-east", [app("checkout")], { members, peers: ["http://west"] });
    const westLoop = agent(
      clock,
      west,
      "eu-west",
      [app("checkout", { region: "eu-west", assignment: { primaryCluster: "us-east" } })],
      { members, peers: ["http://east"] },
    );
    east.peers.set("http://west", () => westLoop.givePromise());
    west.peers.set("http://east", () => eastLoop.givePromise());
    eastLoop.start();
    westLoop.start();
    await clock.advance(5000);
    east.hub = "hang";
    west.hub = "hang";
    await clock.advance(2 * 15_000);
    expect(east.fences).toEqual([]);
    expect(west.fences).toEqual([]);
    expect(eastLoop.reasonOf("shop/checkout")).toBe("FailsafePromised");
    expect(eastLoop.failsafeEngaged()).toBe(true);
    expect(eastLoop.promises().map((p) => p.peer)).toEqual(["eu-west"]);
    // West is bound by its promise: when its hub link heals, its renewals still abstain for a lease duration.
    west.hub = "ok";
    await clock.advance(3000);
    expect(west.renewals.at(-1)?.content.abstain).toBe(true);
    expect(westLoop.abstaining()).toBe(true);
    // West reaches the hub again: it refuses further promises, and east fences once the old promise runs out.
    await clock.advance(20_000);
    expect(east.fences.find((f) => f.app === "checkout")).toMatchObject({ scope: "app" });
    eastLoop.stop();
    westLoop.stop();
  });

  it("a silent peer gives nothing: the primary fences at the deadline", async () => {
    const clock = new FakeClock();
    const east = new World(clock);
    east.peers.set("http://west", () => "silent");
    const loop = agent(clock, east, "us-east", [app("checkout")], { peers: ["http://west"] });
    loop.start();
    await clock.advance(3000);
    east.hub = "hang";
    await clock.advance(15_000);
    expect(east.fences.map((f) => f.reason)).toContain("RenewDeadlinePassed");
    loop.stop();
  });

  it("fences a handover away from this cluster at once and acknowledges its epoch on the next renewal", async () => {
    const clock = new FakeClock();
    const world = new World(clock);
    const apps = [app("checkout")];
    const loop = agent(clock, world, "us-east", apps);
    loop.start();
    await clock.advance(3000);
    apps[0] = app("checkout", {
      epoch: 3,
      assignment: {
        primaryCluster: "us-east",
        handover: { fromCluster: "us-east", toCluster: "eu-west", epoch: 4 },
      },
    });
    const handedAt = clock.t;
    loop.check();
    await clock.advance(0);
    expect(world.fences).toEqual([
      { at: handedAt, app: "checkout", scope: "app", reason: "HandedOver", epoch: 4 },
    ]);
    expect(world.renewals.at(-1)?.content.fencedEpochs).toEqual({ "shop/checkout": 4 });
    expect(world.renewals.at(-1)?.at).toBe(handedAt);
    await clock.advance(10_000);
    expect(world.fences).toHaveLength(1); // once per handover
    // The promotion ends: the handover leaves status, and the acknowledgement leaves the Lease.
    apps[0] = app("checkout", { epoch: 4, assignment: { primaryCluster: "eu-west" } });
    await clock.advance(2000);
    expect(world.renewals.at(-1)?.content.fencedEpochs).toEqual({});
    loop.stop();
  });

  it("a restarted agent waits for its first renewal's answer, then fences if it failed", async () => {
    const clock = new FakeClock();
    const world = new World(clock);
    world.hub = "hang";
    const loop = agent(clock, world, "us-east", [app("checkout")]);
    loop.start();
    await clock.advance(1000);
    expect(loop.firstRenewalPending).toBe(true);
    expect(world.fences).toEqual([]);
    await clock.advance(600); // the first renewal times out at requestTimeout = 1.25 s
    expect(loop.firstRenewalPending).toBe(false);
    expect(world.fences.map((f) => f.reason)).toEqual(["RenewDeadlinePassed"]);
    loop.stop();
  });

  it("gives a promise only when it cannot reach the hub and no vote of its own can still land", async () => {
    const clock = new FakeClock();
    const world = new World(clock);
    const loop = agent(clock, world, "eu-west", [
      app("checkout", { assignment: { primaryCluster: "us-east" } }),
    ]);
    loop.start();
    await clock.advance(3000);
    expect(loop.givePromise()).toEqual({ refused: "this agent reaches the hub" });
    world.hub = "refuse";
    const lastVote = clock.t - (clock.t % 1250);
    await clock.advance(2600);
    const given = loop.givePromise();
    expect(given).toMatchObject({ cluster: "eu-west", holdMs: 15_000 });
    expect((given as PeerPromise).quietMs).toBeGreaterThan(0);
    expect(clock.t - lastVote).toBeGreaterThan(2500);
    loop.stop();
  });
});
