import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PromotionPhase } from "../../../src/api/types.generated.ts";
import {
  decideStart,
  type PromotionFact,
  type StartDecision,
  type StartInputs,
} from "../../../src/failover/decide-start.ts";

const names = ["us-east", "eu-west", "ap-south"] as const;
const phases: (PromotionPhase | undefined)[] = [
  undefined,
  "Pending",
  "Fencing",
  "Promoting",
  "Rerouting",
  "Verifying",
  "Succeeded",
  "Failed",
  "Aborted",
];
const terminal = new Set<PromotionPhase | undefined>(["Succeeded", "Failed", "Aborted"]);

/** Rules that let a failover through whenever the primary is down and a target is up. */
const rules = (regions: StartInputs["failover"]["regions"], minSecondsBetweenFailovers = 600) => ({
  regions,
  suspended: false,
  mode: "Automatic" as const,
  guardsLag: false,
  maxLagBytes: 0,
  allowDataLoss: false,
  minHealthyRegions: 1,
  minSecondsBetweenFailovers,
});

const region = fc.constantFrom(...names);
const promotion: fc.Arbitrary<PromotionFact> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 8 }),
  type: fc.constantFrom("Failover" as const, "Switchover" as const, "Drill" as const),
  targetRegion: region,
  phase: fc.constantFrom(...phases),
  dryRun: fc.boolean(),
  epoch: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  createdAt: fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: undefined }),
});

const inputs: fc.Arbitrary<StartInputs> = fc.record({
  app: fc.constant("checkout"),
  specPrimary: region,
  lastAppliedPrimary: fc.option(region, { nil: undefined }),
  currentPrimary: fc.option(region, { nil: undefined }),
  epoch: fc.integer({ min: 0, max: 5 }),
  handover: fc.option(
    fc.record({
      from: region,
      to: region,
      epoch: fc.integer({ min: 1, max: 6 }),
      promotionRef: fc.constant("x"),
    }),
    { nil: undefined },
  ),
  lastFailoverAt: fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: undefined }),
  promotions: fc.array(promotion, { maxLength: 4 }),
  failbackMode: fc.constantFrom("Manual" as const, "Automatic" as const),
  failover: fc
    .tuple(
      ...names.map((n, i) =>
        fc.record({
          name: fc.constant(n),
          priority: fc.constant(i + 1),
          healthy: fc.constantFrom(true, false, undefined),
        }),
      ),
    )
    .chain((regions) =>
      fc.record({
        ...Object.fromEntries(Object.entries(rules(regions)).map(([k, v]) => [k, fc.constant(v)])),
        suspended: fc.boolean(),
        mode: fc.constantFrom("Automatic" as const, "Manual" as const),
        minSecondsBetweenFailovers: fc.integer({ min: 0, max: 600 }),
      }),
    ) as fc.Arbitrary<StartInputs["failover"]>,
  now: fc.integer({ min: 0, max: 2_000_000 }),
});

describe("decideStart, one decision at a time", () => {
  it("never starts a Switchover without a change of spec.primaryRegion from the value last acted upon", () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const d = decideStart(i);
        if (d.promotion?.type !== "Switchover") return;
        expect(i.lastAppliedPrimary).toBeDefined();
        expect(i.specPrimary).not.toBe(i.lastAppliedPrimary);
        expect(d.promotion.targetRegion).toBe(i.specPrimary);
        expect(d.record).toBe(i.specPrimary);
        expect(d.reason).toBe("PrimaryRegionChanged");
      }),
      { numRuns: 3000 },
    );
  });

  it("never starts a promotion while another runs, a handover is set, or a success is not yet recorded", () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const d = decideStart(i);
        const busy =
          i.handover !== undefined ||
          i.promotions.some((p) => !terminal.has(p.phase)) ||
          i.promotions.some((p) => p.phase === "Succeeded" && !p.dryRun && (p.epoch ?? 0) > i.epoch);
        if (busy) {
          expect(d.promotion).toBeUndefined();
          expect(d.check).toBe("OnePromotionPerApp");
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("never moves the app back while failback is Manual (or unimplemented Automatic) and spec is unchanged", () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const d = decideStart(i);
        if (i.lastAppliedPrimary !== i.specPrimary || !d.promotion) return;
        // Spec unchanged: the only promotion allowed is a failover away from the unhealthy primary.
        const current = i.currentPrimary ?? i.specPrimary;
        expect(d.promotion.type).toBe("Failover");
        expect(d.promotion.fromRegion).toBe(current);
        expect(i.failover.regions.find((r) => r.name === current)?.healthy).toBe(false);
        expect(d.promotion.targetRegion).not.toBe(current);
      }),
      { numRuns: 3000 },
    );
  });

  it("names promotions from the epoch and count it decided on, never an existing one", () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const d = decideStart(i);
        if (!d.promotion) return;
        expect(d.promotion.name).toBe(
          `checkout-${d.promotion.type.toLowerCase()}-${i.epoch + 1}-${i.promotions.length + 1}`,
        );
      }),
      { numRuns: 500 },
    );
  });

  const base: StartInputs = {
    app: "checkout",
    specPrimary: "us-east",
    lastAppliedPrimary: "us-east",
    currentPrimary: "us-east",
    epoch: 0,
    promotions: [],
    failbackMode: "Manual",
    failover: rules([
      { name: "us-east", priority: 1, healthy: true },
      { name: "eu-west", priority: 1, healthy: true },
      { name: "ap-south", priority: 2, healthy: true },
    ]),
    now: 1_000_000,
  };
  const down = (name: string) =>
    base.failover.regions.map((r) => (r.name === name ? { ...r, healthy: false } : r));

  it.each<[string, Partial<StartInputs>, Partial<StartDecision>]>([
    [
      "a new app records its spec",
      { lastAppliedPrimary: undefined, currentPrimary: undefined },
      { check: "GitSwitchover", record: "us-east", reason: "PrimaryMatchesSpec" },
    ],
    [
      "an app failed over before the field existed records its spec, no switchover",
      { lastAppliedPrimary: undefined, currentPrimary: "eu-west", epoch: 1 },
      { check: "GitSwitchover", record: "us-east", reason: "PrimaryDiffersFromSpec" },
    ],
    [
      "after a failover, the spec unchanged, Manual failback holds",
      { currentPrimary: "eu-west", epoch: 1 },
      { check: "Failback", reason: "PrimaryDiffersFromSpec" },
    ],
    [
      "accepting the new primary in Git only records it",
      { specPrimary: "eu-west", currentPrimary: "eu-west", epoch: 1 },
      { check: "GitSwitchover", record: "eu-west", reason: "PrimaryRegionChanged" },
    ],
    [
      "a change in Git to another region switches over",
      { specPrimary: "ap-south", lastAppliedPrimary: "eu-west", currentPrimary: "eu-west", epoch: 1 },
      {
        check: "GitSwitchover",
        record: "ap-south",
        promotion: {
          name: "checkout-switchover-2-1",
          type: "Switchover",
          targetRegion: "ap-south",
          fromRegion: "eu-west",
          approved: true,
          reason: "spec.primaryRegion changed from eu-west to ap-south",
        },
      },
    ],
    [
      "an unhealthy primary fails over to the most preferred region",
      { failover: rules(down("us-east")) },
      {
        check: "AutomaticFailover",
        reason: "AutomaticPolicy",
        promotion: expect.objectContaining({
          name: "checkout-failover-1-1",
          fromRegion: "us-east",
          targetRegion: "eu-west",
        }),
      },
    ],
    [
      "a failover promotion seconds old holds the next one, whatever the app's status says",
      {
        currentPrimary: "eu-west",
        epoch: 1,
        failover: rules(down("eu-west")),
        promotions: [
          {
            name: "f1",
            type: "Failover",
            targetRegion: "eu-west",
            phase: "Succeeded",
            dryRun: false,
            epoch: 1,
            createdAt: 990_000,
          },
        ],
      },
      { check: "AutomaticFailover", reason: "TooSoonSinceLastFailover" },
    ],
    [
      "a success the app does not record yet holds everything",
      {
        failover: rules(down("us-east")),
        promotions: [
          {
            name: "f1",
            type: "Failover",
            targetRegion: "eu-west",
            phase: "Succeeded",
            dryRun: false,
            epoch: 1,
            createdAt: 0,
          },
        ],
      },
      { check: "OnePromotionPerApp", reason: "FailoverInProgress" },
    ],
    [
      "a handover holds everything",
      { specPrimary: "eu-west", handover: { from: "us-east", to: "ap-south", epoch: 1, promotionRef: "p" } },
      { check: "OnePromotionPerApp", reason: "FailoverInProgress" },
    ],
    [
      "a stored Automatic failback is handled as Manual, and says so",
      { currentPrimary: "eu-west", epoch: 1, failbackMode: "Automatic" },
      {
        check: "Failback",
        message: expect.stringContaining(
          "failback.mode Automatic is not implemented yet and is handled as Manual",
        ),
      },
    ],
  ])("%s", (_what, change, expected) => {
    expect(decideStart({ ...base, ...change })).toMatchObject(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// A randomized model of one app over time: spec edits from Git, health changes, the clock, the
// promotion controller finishing promotions (recording the app's status before or after marking
// the promotion Succeeded), and the RegionalApp controller as built: the informer cache gates,
// the decision is taken again on fresh objects, and only that decision acts. The stale variant
// lets the cache lag the API server by any number of steps.

type Action =
  | { k: "edit"; region: string }
  | { k: "health"; region: string; healthy: boolean }
  | { k: "tick"; seconds: number }
  | { k: "finish"; ok: boolean; statusFirst: boolean }
  | { k: "catchUp" }
  | { k: "sync" }
  | { k: "reconcile" };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant("edit" as const), region }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("health" as const), region, healthy: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant("tick" as const), seconds: fc.integer({ min: 0, max: 120 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant("finish" as const), ok: fc.boolean(), statusFirst: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.constant({ k: "catchUp" as const }) },
  { weight: 3, arbitrary: fc.constant({ k: "sync" as const }) },
  { weight: 8, arbitrary: fc.constant({ k: "reconcile" as const }) },
);

interface AppStatus {
  currentPrimary?: string;
  lastApplied?: string;
  epoch: number;
  lastFailoverAt?: number;
}
interface ModelPromotion extends PromotionFact {
  from: string;
}
interface Snapshot {
  spec: string;
  status: AppStatus;
  promotions: ModelPromotion[];
}

interface ModelOptions {
  /** The cache lags until a sync action (otherwise it is synced before every reconcile). */
  staleCache: boolean;
  /** Mutation: act on the cached decision, skipping the fresh read. */
  actOnCache?: boolean;
  minSecondsBetweenFailovers: number;
}

/** Runs the actions; throws (via expect) at the first broken invariant. Returns what happened. */
function runModel(actions: Action[], o: ModelOptions, decide = decideStart) {
  let now = 1_000_000;
  let spec = "us-east";
  // As the reconciler leaves a new app before it decides anything: currentPrimary from the spec.
  let status: AppStatus = { currentPrimary: "us-east", epoch: 0 };
  let pending: AppStatus | undefined;
  const promotions: ModelPromotion[] = [];
  const health: Record<string, boolean | undefined> = { "us-east": true, "eu-west": true, "ap-south": true };
  let truePrimary = "us-east";
  let specChanged = false; // an edit changed spec.primaryRegion since it was last acted upon
  const copy = (): Snapshot => ({
    spec,
    status: { ...status },
    promotions: promotions.map((p) => ({ ...p })),
  });
  let cache = copy();
  const inputsOf = (s: Snapshot): StartInputs => ({
    app: "checkout",
    specPrimary: s.spec,
    lastAppliedPrimary: s.status.lastApplied,
    currentPrimary: s.status.currentPrimary,
    epoch: s.status.epoch,
    ...(s.status.lastFailoverAt === undefined ? {} : { lastFailoverAt: s.status.lastFailoverAt }),
    promotions: s.promotions,
    failbackMode: "Manual",
    failover: rules(
      names.map((n, i) => ({ name: n, priority: i + 1, healthy: health[n] })),
      o.minSecondsBetweenFailovers,
    ),
    now,
  });
  const created: ModelPromotion[] = [];

  for (const a of actions) {
    switch (a.k) {
      case "edit":
        if (a.region !== spec) specChanged = true;
        spec = a.region;
        break;
      case "health":
        health[a.region] = a.healthy;
        break;
      case "tick":
        now += a.seconds * 1000;
        break;
      case "finish": {
        const p = promotions.find((x) => !terminal.has(x.phase));
        if (!p) break;
        if (!a.ok) {
          p.phase = "Failed";
          break;
        }
        const epoch = Math.max(status.epoch, pending?.epoch ?? 0) + 1;
        const next = {
          ...status,
          currentPrimary: p.targetRegion,
          epoch,
          // As startInputs reads status.lastFailover: only a Failover starts the anti-flap clock.
          ...(p.createdAt === undefined || p.type !== "Failover" ? {} : { lastFailoverAt: p.createdAt }),
        };
        truePrimary = p.targetRegion;
        p.phase = "Succeeded";
        p.epoch = epoch;
        if (a.statusFirst) status = next;
        else pending = next; // the app's status is written a moment after Succeeded
        break;
      }
      case "catchUp":
        if (pending)
          status = { ...pending, ...(status.lastApplied ? { lastApplied: status.lastApplied } : {}) };
        pending = undefined;
        break;
      case "sync":
        cache = copy();
        break;
      case "reconcile": {
        if (!o.staleCache) cache = copy();
        const gate = decide(inputsOf(cache));
        if (!gate.promotion && gate.record === undefined) break;
        const d = o.actOnCache ? gate : decide(inputsOf(copy()));
        if (d.promotion) {
          const p = d.promotion;
          if (promotions.some((x) => x.name === p.name)) break; // AlreadyExists: nothing new
          // Never two promotions at once.
          expect(promotions.filter((x) => !terminal.has(x.phase))).toEqual([]);
          if (p.type === "Switchover") {
            // Never a Switchover without a change of spec.primaryRegion, and only to it.
            expect(specChanged).toBe(true);
            expect(p.targetRegion).toBe(spec);
            specChanged = false;
          } else {
            // No switch-back: with spec unchanged, a failover only away from the real primary,
            // and only while it is down.
            expect(p.fromRegion).toBe(truePrimary);
            expect(health[truePrimary]).toBe(false);
            // No second failover within minSecondsBetweenFailovers.
            for (const q of created.filter((x) => x.type === "Failover")) {
              expect(now - (q.createdAt as number)).toBeGreaterThanOrEqual(
                o.minSecondsBetweenFailovers * 1000,
              );
            }
          }
          const made: ModelPromotion = {
            name: p.name,
            type: p.type,
            targetRegion: p.targetRegion,
            from: p.fromRegion,
            phase: undefined,
            dryRun: false,
            createdAt: now,
          };
          promotions.push(made);
          created.push(made);
        }
        if (d.record !== undefined) {
          status = { ...status, lastApplied: d.record };
          if (d.record === spec) specChanged = false;
        }
        break;
      }
    }
  }
  return { created };
}

const scenario = fc.record({
  actions: fc.array(action, { minLength: 1, maxLength: 150, size: "max" }),
  minSecondsBetweenFailovers: fc.constantFrom(0, 30, 600),
});

describe("decideStart in a randomized model of the app over time", () => {
  it("with a fresh cache: never a switchover without a change, never a switch-back, one promotion at a time, no flapping", () => {
    const seen = { Failover: 0, Switchover: 0 };
    fc.assert(
      fc.property(scenario, ({ actions, minSecondsBetweenFailovers }) => {
        for (const p of runModel(actions, { staleCache: false, minSecondsBetweenFailovers }).created) {
          seen[p.type as keyof typeof seen]++;
        }
      }),
      { numRuns: 3000 },
    );
    // The model does promote, both ways: the checks above are not vacuous.
    expect(seen.Failover).toBeGreaterThan(1000);
    expect(seen.Switchover).toBeGreaterThan(1000);
  });

  it("with a cache lagging the API server: the fresh decision keeps every invariant", () => {
    fc.assert(
      fc.property(scenario, ({ actions, minSecondsBetweenFailovers }) => {
        runModel(actions, { staleCache: true, minSecondsBetweenFailovers });
      }),
      { numRuns: 3000 },
    );
  });

  it("acting on the cached decision instead breaks them (the fresh read is what keeps them)", () => {
    const broken = fc.check(
      fc.property(scenario, ({ actions, minSecondsBetweenFailovers }) => {
        runModel(actions, { staleCache: true, actOnCache: true, minSecondsBetweenFailovers });
      }),
      { numRuns: 3000 },
    );
    expect(broken.failed).toBe(true);
  });

  it("the three-region scenario: one failover, no switch-back, Git accepts, Git moves", () => {
    const run = (extra: Action[]) =>
      runModel(
        [
          { k: "reconcile" }, // first observation: records us-east
          ...names.map((n) => ({ k: "health" as const, region: n, healthy: true })),
          { k: "health", region: "us-east", healthy: false },
          { k: "reconcile" },
          { k: "finish", ok: true, statusFirst: false },
          ...Array.from({ length: 30 }, (): Action[] => [
            { k: "tick", seconds: 2 },
            { k: "reconcile" },
          ]).flat(),
          { k: "catchUp" },
          { k: "health", region: "us-east", healthy: true },
          ...Array.from({ length: 30 }, (): Action[] => [
            { k: "tick", seconds: 2 },
            { k: "reconcile" },
          ]).flat(),
          ...extra,
        ],
        { staleCache: false, minSecondsBetweenFailovers: 600 },
      ).created.map((p) => `${p.type} ${p.from}->${p.targetRegion} ${p.name}`);
    expect(run([])).toEqual(["Failover us-east->eu-west checkout-failover-1-1"]);
    expect(
      run([
        { k: "edit", region: "eu-west" },
        { k: "reconcile" },
        { k: "edit", region: "ap-south" },
        { k: "reconcile" },
        { k: "reconcile" },
      ]),
    ).toEqual([
      "Failover us-east->eu-west checkout-failover-1-1",
      "Switchover eu-west->ap-south checkout-switchover-2-2",
    ]);
  });
});
