// Whether a RegionalApp should start a ReplicaPromotion now, and which: one pure, ordered chain of
// small named checks (cert-manager's policy-chain style). The first check that decides wins; each
// decision carries a reason from src/api/reasons.ts. The inputs are plain data read fresh from the
// API server (DESIGN "Decisions on fresh facts"); the clock is an input too.
import { Reason } from "../api/reasons.ts";
import type { FailbackMode, PromotionPhase, PromotionType } from "../api/types.generated.ts";
import { decideFailover, type FailoverInputs } from "./decide-failover.ts";

/** One of the app's ReplicaPromotions, as read from the API server. */
export interface PromotionFact {
  name: string;
  type: PromotionType;
  targetRegion: string;
  /** status.phase; undefined means Pending (not yet picked up). */
  phase: PromotionPhase | undefined;
  dryRun: boolean;
  /** status.epoch, once the promotion allocated one. */
  epoch?: number;
  /** metadata.creationTimestamp, in ms. */
  createdAt?: number;
}

export interface StartInputs {
  /** The RegionalApp's name (promotions are named after it). */
  app: string;
  /** spec.primaryRegion: the preferred primary. */
  specPrimary: string;
  /** status.lastAppliedPrimaryRegion: the value of spec.primaryRegion last acted upon. */
  lastAppliedPrimary: string | undefined;
  /** status.currentPrimary; undefined for a new app, whose primary is the spec's. */
  currentPrimary: string | undefined;
  /** status.epoch. */
  epoch: number;
  /** status.handover: set while a promotion moves the primary. */
  handover?: { from: string; to: string; epoch: number; promotionRef: string } | undefined;
  /** When status.lastFailover started (ms), if recorded. */
  lastFailoverAt?: number | undefined;
  /** Every ReplicaPromotion of the app, in any phase. */
  promotions: PromotionFact[];
  /** policy.spec.failback.mode. */
  failbackMode: FailbackMode;
  /** The automatic-failover rules and region views; primary, timing and promotions come from above. */
  failover: Omit<FailoverInputs, "primary" | "promotionInProgress" | "lastFailoverAt" | "now">;
  now: number;
}

/** A ReplicaPromotion to create. */
export interface PromotionToStart {
  /** Deterministic from the facts: a retried decision creates the same object (AlreadyExists). */
  name: string;
  type: "Failover" | "Switchover";
  targetRegion: string;
  fromRegion: string;
  approved: boolean;
  /** spec.reason of the promotion, in words. */
  reason: string;
}

export interface StartDecision {
  /** The check that decided. */
  check: CheckName;
  reason: Reason;
  message: string;
  /** Write status.lastAppliedPrimaryRegion with this value (after creating the promotion, if any). */
  record?: string;
  promotion?: PromotionToStart;
}

export type CheckName = "OnePromotionPerApp" | "GitSwitchover" | "Failback" | "AutomaticFailover";

type Verdict = Omit<StartDecision, "check">;
interface Check {
  name: CheckName;
  /** A verdict decides; undefined passes to the next check. */
  decide(i: StartInputs): Verdict | undefined;
}

const terminal = new Set<PromotionPhase>(["Succeeded", "Failed", "Aborted"]);
const primaryOf = (i: StartInputs) => i.currentPrimary ?? i.specPrimary;

/** `<app>-<type>-<next epoch>-<number of the app's promotions + 1>`, e.g. checkout-failover-1-1. */
export function promotionName(i: StartInputs, type: "Failover" | "Switchover"): string {
  return `${i.app}-${type.toLowerCase()}-${i.epoch + 1}-${i.promotions.length + 1}`;
}

/**
 * (1) One promotion per app: nothing starts while a promotion is running or handing over, nor
 * while a promotion has succeeded at an epoch the app does not record yet (its currentPrimary is
 * then a step behind, and deciding on it would fail over a second time).
 */
const onePromotionPerApp: Check = {
  name: "OnePromotionPerApp",
  decide(i) {
    if (i.handover) {
      return {
        reason: Reason.FailoverInProgress,
        message: `ReplicaPromotion ${i.handover.promotionRef} is handing the primary over from ${i.handover.from} to ${i.handover.to} at epoch ${i.handover.epoch}`,
      };
    }
    const running = i.promotions.find((p) => !terminal.has(p.phase ?? "Pending"));
    if (running) {
      return {
        reason: Reason.FailoverInProgress,
        message: `ReplicaPromotion ${running.name} (${running.type} to ${running.targetRegion}) is ${running.phase ?? "Pending"}: one promotion at a time`,
      };
    }
    const unrecorded = i.promotions.find(
      (p) => p.phase === "Succeeded" && !p.dryRun && p.epoch !== undefined && p.epoch > i.epoch,
    );
    if (unrecorded) {
      return {
        reason: Reason.FailoverInProgress,
        message: `ReplicaPromotion ${unrecorded.name} succeeded at epoch ${unrecorded.epoch}, but the app still records epoch ${i.epoch}: waiting for its status to catch up`,
      };
    }
    return undefined;
  },
};

/**
 * (2) A planned switchover is a *change* of spec.primaryRegion from the value last acted upon,
 * never a mere difference from the current primary (which is what every failover leaves behind).
 */
const gitSwitchover: Check = {
  name: "GitSwitchover",
  decide(i) {
    const spec = i.specPrimary;
    const current = primaryOf(i);
    if (i.lastAppliedPrimary === undefined) {
      // The app's first observation (or the first by a version that keeps the value): record it.
      return {
        reason: spec === current ? Reason.PrimaryMatchesSpec : Reason.PrimaryDiffersFromSpec,
        message: `first observation: spec.primaryRegion ${spec} recorded as acted upon; the primary is ${current}`,
        record: spec,
      };
    }
    if (spec === i.lastAppliedPrimary) return undefined;
    if (spec === current) {
      return {
        reason: Reason.PrimaryRegionChanged,
        message: `spec.primaryRegion changed from ${i.lastAppliedPrimary} to ${spec}, which is already the primary: recorded, nothing to move`,
        record: spec,
      };
    }
    const reason = `spec.primaryRegion changed from ${i.lastAppliedPrimary} to ${spec}`;
    return {
      reason: Reason.PrimaryRegionChanged,
      message: `${reason}: switching over from ${current}`,
      record: spec,
      promotion: {
        name: promotionName(i, "Switchover"),
        type: "Switchover",
        targetRegion: spec,
        fromRegion: current,
        approved: true,
        reason,
      },
    };
  },
};

/**
 * (3) Failback per policy. The primary differs from the preferred region and nothing changed in
 * Git: Manual failback never moves it back. The API rejects failback.mode Automatic until it is
 * implemented; an object stored before that rule still says Automatic and is handled as Manual,
 * and the message says so. An unhealthy current primary passes on to the failover check.
 */
const failback: Check = {
  name: "Failback",
  decide(i) {
    const current = primaryOf(i);
    if (current === i.specPrimary) return undefined;
    const health = i.failover.regions.find((r) => r.name === current)?.healthy;
    if (health === false) return undefined;
    const mode =
      i.failbackMode === "Automatic"
        ? "failback.mode Automatic is not implemented yet and is handled as Manual"
        : "failback is Manual";
    return {
      reason: Reason.PrimaryDiffersFromSpec,
      message: `${mode}: the primary stays in ${current} although spec.primaryRegion prefers ${i.specPrimary}, until spec.primaryRegion is changed or a Switchover ReplicaPromotion is created`,
    };
  },
};

/**
 * (4) Automatic failover, by the rules of decideFailover, away from the *current* primary (read
 * fresh) and only while it is judged unhealthy. The anti-flap clock starts at the newest
 * automatic failover, recorded in status or only visible as a promotion.
 */
const automaticFailover: Check = {
  name: "AutomaticFailover",
  decide(i) {
    const primary = primaryOf(i);
    const starts = i.promotions
      .filter((p) => p.type === "Failover" && !p.dryRun && p.createdAt !== undefined)
      .map((p) => p.createdAt as number);
    if (i.lastFailoverAt !== undefined) starts.push(i.lastFailoverAt);
    const d = decideFailover({
      ...i.failover,
      primary,
      promotionInProgress: false, // check (1) held back any promotion in progress
      ...(starts.length > 0 ? { lastFailoverAt: Math.max(...starts) } : {}),
      now: i.now,
    });
    if (!d.failover) return { reason: d.reason, message: d.message };
    return {
      reason: d.reason,
      message: d.message,
      promotion: {
        name: promotionName(i, "Failover"),
        type: "Failover",
        targetRegion: d.target,
        fromRegion: d.from,
        approved: d.approved,
        reason: d.message,
      },
    };
  },
};

/** The chain, in order. Exported for tests that name the check which decided. */
export const startChecks: readonly Check[] = [onePromotionPerApp, gitSwitchover, failback, automaticFailover];

/** Decides whether to start a promotion (and which), or why not. Pure. */
export function decideStart(i: StartInputs, checks: readonly Check[] = startChecks): StartDecision {
  for (const check of checks) {
    const verdict = check.decide(i);
    if (verdict) return { check: check.name, ...verdict };
  }
  // Unreachable with startChecks (the failover check always decides); kept for custom chains.
  return { check: "AutomaticFailover", reason: Reason.PrimaryHealthy, message: "nothing to do" };
}
