import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextStep, type Phase, type PromotionFacts } from "../../../src/failover/promotion-steps.ts";
import { expiryMs } from "../../../src/fencing/protocol/timing.ts";

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 };

/**
 * A small world: an old primary whose reachability from the hub changes at random, whose agent
 * renews its region Lease while it reaches the hub, fences at once when it sees the handover, and
 * fences once its Lease has gone unrenewed for the renew deadline; a target replica that
 * catches up at random; DNS. A controller loop persists the step's phase, then acts, and may
 * crash at any point (losing everything but the persisted status).
 */
interface World {
  now: number;
  oldReachable: boolean;
  oldFenced: boolean;
  leaseLastRenewedAt: number;
  targetPromotions: number;
  /** Writes the old primary acknowledged, and how many of them the target has replayed. */
  oldWrites: number;
  replayed: number;
  /** Acknowledged writes the target did not have when it was promoted. */
  lost: number;
  scaledUp: boolean;
  dns: "old" | "target";
}

interface Persisted {
  phase: Phase;
  /** The app's handover names this promotion (the epoch compare-and-swap happened). */
  epochAllocated: boolean;
  startedAt?: number;
  phaseStartedAt: number;
}

type Tick = {
  advanceMs: number;
  reachable: boolean;
  catchUp: boolean;
  crash: "none" | "beforePersist" | "beforeAction";
};

const tick: fc.Arbitrary<Tick> = fc.record({
  advanceMs: fc.integer({ min: 50, max: 4000 }),
  reachable: fc.boolean(),
  catchUp: fc.boolean(),
  crash: fc.constantFrom("none", "none", "none", "beforePersist", "beforeAction"),
});

const fresh: World = {
  now: 0,
  oldReachable: true,
  oldFenced: false,
  leaseLastRenewedAt: 0,
  targetPromotions: 0,
  oldWrites: 0,
  replayed: 0,
  lost: 0,
  scaledUp: false,
  dns: "old",
};

const oldWritable = (w: World) => !w.oldFenced;
const targetWritable = (w: World) => w.targetPromotions > 0;

function facts(w: World, p: Persisted, type: PromotionFacts["type"]): PromotionFacts {
  return {
    type,
    dryRun: false,
    approved: true,
    phase: p.phase,
    ...(p.startedAt === undefined ? {} : { startedAt: p.startedAt }),
    phaseStartedAt: p.phaseStartedAt,
    timeoutSeconds: 3600,
    epoch: p.epochAllocated ? "mine" : "free",
    oldPrimary: {
      reachable: w.oldReachable,
      fenced: w.oldReachable && w.oldFenced,
      acknowledged: false,
      promoteAway: {
        ok: w.now - w.leaseLastRenewedAt >= expiryMs(timing),
        message: "region Lease unrenewed",
      },
      expiryWaitSeconds: Math.ceil(expiryMs(timing) / 1000),
    },
    target: {
      writable: targetWritable(w),
      caughtUp: w.replayed === w.oldWrites,
      finalPositionKnown: true,
      scaledUp: w.scaledUp,
    },
    dnsPointsAtTarget: w.dns === "target",
    verified: w.dns === "target" && targetWritable(w),
    now: w.now,
  };
}

function simulate(ticks: Tick[], type: PromotionFacts["type"]) {
  const w: World = { ...fresh, now: 0, oldReachable: true };
  let p: Persisted = { phase: "Pending", epochAllocated: false, phaseStartedAt: 0 };
  const violations: string[] = [];
  for (const t of [
    ...ticks,
    ...Array.from({ length: 60 }, () => ({
      advanceMs: 1000,
      reachable: true,
      catchUp: true,
      crash: "none" as const,
    })),
  ]) {
    w.now += t.advanceMs;
    w.oldReachable = t.reachable;
    if (oldWritable(w)) w.oldWrites++;
    if (t.catchUp && !targetWritable(w)) w.replayed = w.oldWrites;
    // The old region's agent renews its region Lease while it reaches the hub, fences at once on
    // seeing the handover, and fences when its Lease goes unrenewed for the renew deadline.
    if (w.oldReachable) w.leaseLastRenewedAt = w.now;
    if (w.oldReachable && p.epochAllocated) w.oldFenced = true;
    if (w.now - w.leaseLastRenewedAt >= timing.renewDeadlineMs) w.oldFenced = true;

    if (t.crash === "beforePersist") continue;
    const step = nextStep(facts(w, p, type));
    if (step.phase !== p.phase) {
      p = {
        ...p,
        phase: step.phase,
        startedAt: p.startedAt ?? (p.phase === "Pending" ? w.now : undefined),
        phaseStartedAt: w.now,
      };
    }
    if (t.crash === "beforeAction") continue;
    switch (step.action) {
      case "allocateEpoch":
        p = { ...p, epochAllocated: true };
        break;
      case "fence":
        if (!w.oldReachable) violations.push("fenced through an unreachable connection");
        w.oldFenced = true;
        break;
      case "promote":
        if (w.targetPromotions === 0) {
          w.targetPromotions = 1; // promote is idempotent: a primary stays one
          w.lost = w.oldWrites - w.replayed;
        }
        break;
      case "scaleUp":
        w.scaledUp = true;
        break;
      case "reroute":
        if (!targetWritable(w)) violations.push("DNS moved before the target was writable");
        w.dns = "target";
        break;
    }
    if (oldWritable(w) && targetWritable(w)) violations.push(`two writable primaries at ${w.now} ms`);
    if (w.dns === "target" && !targetWritable(w))
      violations.push("DNS names a database that is not writable");
  }
  return { w, p, violations };
}

describe("ReplicaPromotion steps under crashes and partitions", () => {
  it.each(["Failover", "Switchover", "Drill"] as const)(
    "%s: never two writable primaries, DNS only to a writable target, one promotion, always finishing",
    (type) => {
      fc.assert(
        fc.property(fc.array(tick, { maxLength: 60 }), (ticks) => {
          const { w, p, violations } = simulate(ticks, type);
          expect(violations).toEqual([]);
          expect(p.phase).toBe("Succeeded");
          expect(w.targetPromotions).toBe(1);
          expect(w.dns).toBe("target");
          // Invariant 4: a planned switchover (or drill) loses no acknowledged write.
          if (type !== "Failover") expect(w.lost).toBe(0);
        }),
        { numRuns: 1000 },
      );
    },
  );

  it("waits for approval, and fails with the target's problem instead of acting", () => {
    const base = facts(
      { ...fresh, now: 0, oldReachable: true },
      { phase: "Pending", epochAllocated: false, phaseStartedAt: 0 },
      "Failover",
    );
    expect(nextStep({ ...base, approved: false })).toMatchObject({
      phase: "Pending",
      action: "none",
      reason: "AwaitingApproval",
    });
    expect(
      nextStep({
        ...base,
        targetProblem: { reason: "ReplicationLagTooHigh", message: "eu-west lags 9 MiB" },
      }),
    ).toMatchObject({
      phase: "Failed",
      action: "none",
      reason: "ReplicationLagTooHigh",
      message: "eu-west lags 9 MiB",
    });
  });

  it("waits in Pending for a target fact not yet observed, until the promotion times out", () => {
    const problem = {
      reason: "ReplicationLagTooHigh",
      message: "eu-west's replication lag is unknown",
      unknown: true,
    } as const;
    const waiting = facts(
      { ...fresh, now: 5_000, oldReachable: true },
      { phase: "Pending", epochAllocated: false, startedAt: 0, phaseStartedAt: 0 },
      "Failover",
    );
    expect(nextStep({ ...waiting, targetProblem: problem })).toMatchObject({
      phase: "Pending",
      action: "none",
      message: "waiting: eu-west's replication lag is unknown",
    });
    const late = { ...waiting, now: waiting.timeoutSeconds * 1000 + 1, targetProblem: problem };
    expect(nextStep(late)).toMatchObject({ phase: "Failed", reason: "PromotionTimedOut" });
  });

  it("a switchover whose old primary its agent fenced first still reads the final position", () => {
    // The agent fenced at the handover before the hub's fence action ran, which is where the
    // position is usually recorded; without it the zero-lag wait has nothing to reach.
    const fencing = facts(
      { ...fresh, now: 1_000, oldReachable: true, oldFenced: true },
      { phase: "Fencing", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
      "Switchover",
    );
    expect(nextStep({ ...fencing, oldPrimary: { ...fencing.oldPrimary, fenced: true } })).toMatchObject({
      phase: "Promoting",
      action: "readFinalPosition",
    });
    const promoting = facts(
      { ...fresh, now: 2_000, oldReachable: true, oldFenced: true, oldWrites: 3, replayed: 3 },
      { phase: "Promoting", epochAllocated: true, startedAt: 0, phaseStartedAt: 1_000 },
      "Switchover",
    );
    const unknown = {
      ...promoting,
      target: { ...promoting.target, caughtUp: false, finalPositionKnown: false },
    };
    expect(nextStep(unknown)).toMatchObject({ phase: "Promoting", action: "readFinalPosition" });
    const known = { ...unknown, target: { ...unknown.target, finalPositionKnown: true } };
    expect(nextStep(known)).toMatchObject({
      phase: "Promoting",
      action: "none",
      reason: "WaitingForZeroLag",
    });
  });

  it("a dry run passes every check and does nothing", () => {
    const f = facts(
      { ...fresh, now: 0, oldReachable: false },
      { phase: "Pending", epochAllocated: false, phaseStartedAt: 0 },
      "Switchover",
    );
    const step = nextStep({ ...f, dryRun: true });
    expect(step).toMatchObject({ phase: "Succeeded", action: "none", reason: "DryRunCompleted" });
    expect(step.message).toContain("unrenewed 18 s and a majority votes");
  });

  it("does not promote an unreachable primary away before the quorum rule allows it", () => {
    const f = facts(
      { ...fresh, now: 17_749, oldReachable: false },
      { phase: "Fencing", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
      "Failover",
    );
    expect(nextStep(f)).toMatchObject({ phase: "Fencing", action: "none" });
    expect(
      nextStep(
        facts(
          { ...fresh, now: 17_750, oldReachable: false },
          { phase: "Fencing", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
          "Failover",
        ),
      ),
    ).toMatchObject({ phase: "Promoting", reason: "LeaseExpired" });
  });

  it("takes the epoch before fencing, and stands down when another promotion took it", () => {
    const f = facts({ ...fresh }, { phase: "Pending", epochAllocated: false, phaseStartedAt: 0 }, "Failover");
    expect(nextStep(f)).toMatchObject({ phase: "Pending", action: "allocateEpoch" });
    expect(nextStep({ ...f, epoch: "mine" })).toMatchObject({ phase: "Fencing" });
    expect(nextStep({ ...f, epoch: "taken" })).toMatchObject({ phase: "Aborted", reason: "EpochTaken" });
  });

  it("re-checks the lag guard at Promoting: waits while the target may catch up, then fails without promoting", () => {
    const f = facts(
      { ...fresh, now: 1000 },
      { phase: "Promoting", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
      "Failover",
    );
    expect(nextStep(f)).toMatchObject({ phase: "Promoting", action: "promote" });
    const wait = nextStep({ ...f, lagGuard: { state: "wait", message: "eu-west is 1 MiB behind" } });
    expect(wait).toMatchObject({ phase: "Promoting", action: "none", reason: "ReplicationLagTooHigh" });
    const breached = nextStep({ ...f, lagGuard: { state: "breached", message: "eu-west is 1 MiB behind" } });
    expect(breached).toMatchObject({ phase: "Failed", action: "none", reason: "ReplicationLagTooHigh" });
  });

  it("times out cleanly before promotion, never after it", () => {
    const f = facts(
      { ...fresh, now: 61_000, oldReachable: true },
      { phase: "Promoting", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
      "Switchover",
    );
    expect(nextStep({ ...f, timeoutSeconds: 60 })).toMatchObject({
      phase: "Failed",
      reason: "PromotionTimedOut",
    });
    expect(nextStep({ ...f, phase: "Verifying", timeoutSeconds: 60 }).phase).toBe("Verifying");
  });
});

describe("a database step that failed for good (cloudnative-pg, job)", () => {
  const failed = { reason: "DatabaseStepFailed" as const, message: "promote Job failed: exit 1" };

  it("fails Fencing and Promoting with the step's message instead of retrying until the timeout", () => {
    const fencing = facts(
      { ...fresh, now: 1000, oldReachable: true },
      { phase: "Fencing", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
      "Switchover",
    );
    expect(nextStep({ ...fencing, stepFailed: failed })).toMatchObject({
      phase: "Failed",
      reason: "DatabaseStepFailed",
      message: failed.message,
    });
    const promoting = facts(
      { ...fresh, now: 1000, oldFenced: true },
      { phase: "Promoting", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
      "Switchover",
    );
    expect(nextStep({ ...promoting, stepFailed: failed })).toMatchObject({
      phase: "Failed",
      reason: "DatabaseStepFailed",
    });
  });

  it("never outranks evidence that the step is done: a verified fence promotes, a promoted target reroutes", () => {
    const fenced = facts(
      { ...fresh, now: 1000, oldReachable: true, oldFenced: true },
      { phase: "Fencing", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
      "Switchover",
    );
    expect(nextStep({ ...fenced, stepFailed: failed })).toMatchObject({ phase: "Promoting" });
    const promoted = facts(
      { ...fresh, now: 1000, oldFenced: true, targetPromotions: 1 },
      { phase: "Promoting", epochAllocated: true, startedAt: 0, phaseStartedAt: 0 },
      "Switchover",
    );
    expect(nextStep({ ...promoted, stepFailed: failed })).toMatchObject({ phase: "Rerouting" });
  });
});
