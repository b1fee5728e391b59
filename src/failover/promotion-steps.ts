// The ReplicaPromotion state machine as a pure function: from what is known now, the phase the
// promotion is in and the one action to take next. Pending → Fencing → Promoting → Rerouting →
// Verifying → Succeeded, or Failed / Aborted. The controller persists the phase before acting, and
// every action is idempotent, so a crash at any point resumes here with the same answer.
import { Reason } from "../api/reasons.ts";
import type { PromotionPhase } from "../api/types.generated.ts";

export type Phase = PromotionPhase;
export type Action =
  | "none"
  | "allocateEpoch"
  | "fence"
  | "readFinalPosition"
  | "promote"
  | "scaleUp"
  | "reroute";

export interface PromotionFacts {
  type: "Failover" | "Switchover" | "Drill";
  dryRun: boolean;
  /** spec.approved, or a policy in Automatic mode. */
  approved: boolean;
  phase: Phase;
  /** When the promotion left Pending (ms); undefined while Pending. */
  startedAt?: number;
  /** When the current phase began (ms). */
  phaseStartedAt: number;
  timeoutSeconds: number;
  /** Why the target may not take over (unhealthy, jurisdiction, lag guard, not streaming), or undefined. */
  targetProblem?: { reason: Reason; message: string; unknown?: true };
  /**
   * The epoch, as read fresh from the app: "mine" once this promotion's compare-and-swap put its
   * handover in the app's status, "taken" when another promotion's handover is there, "free" before.
   */
  epoch: "free" | "mine" | "taken";
  /** Pending only: why the promotion is no longer needed (the old primary moved or recovered), or undefined. */
  obsolete?: { reason: Reason; message: string };
  oldPrimary: {
    reachable: boolean;
    /** Confirmed by the hub itself: database fenced at this epoch with no session left, writer at zero. */
    fenced: boolean;
    /** Its region's agent acknowledged on its region Lease that it fenced this handover. */
    acknowledged: boolean;
    /** The quorum rule for an unreachable region (src/fencing/protocol/hub-decision.ts). */
    promoteAway: { ok: boolean; reason?: Reason; message: string; waitMs?: number };
    /** How the dry run would fence it, for its report. */
    expiryWaitSeconds: number;
  };
  target: {
    /** The target database is promoted at this epoch and reopened (promotionState), not merely out of recovery. */
    writable: boolean;
    /** The target replica has replayed everything the old primary wrote (zero lag). */
    caughtUp: boolean;
    /**
     * The fenced old primary's final WAL position is recorded, or the engine reports none: the
     * zero-lag wait has something to wait for.
     */
    finalPositionKnown: boolean;
    /** The target workload runs at the old primary's size. */
    scaledUp: boolean;
  };
  /** DNS (as published) names only the target. */
  dnsPointsAtTarget: boolean;
  /**
   * Promoting, for a Failover whose old primary's final position is known: the target is further
   * behind it than the guard allows — for a grace period ("wait": it may still catch up), then for good.
   */
  lagGuard?: { state: "wait" | "breached"; message: string };
  /**
   * Fencing or Promoting: the database step failed for good (a failed Job, an unrecoverable
   * CloudNativePG Cluster); retrying cannot help.
   */
  stepFailed?: { reason: Reason; message: string };
  /** The authoritative answer and a test write through the app's credentials both check out. */
  verified: boolean;
  now: number;
}

export interface Step {
  phase: Phase;
  action: Action;
  reason: Reason;
  message: string;
  /** Come back then, if nothing else changes first. */
  requeueAfterMs?: number;
}

// Waits that a watch event ends (the app's epoch, a workload's scale, the region Leases, the
// promotion's own status) come back after `fallback` only if no event woke the promotion first
// (src/controllers/replicapromotion/wakeups.ts); the controller also re-observes at once after an
// action. Waits on a database or on DNS, which nothing watches, poll: every poll is RTO there.
const fallback = 1000;
const zeroLagPoll = 50;
const verifyPoll = 100;
/** The shortest wait for the quorum rule's own clock, so a wait of a few ms does not spin. */
const minLeaseWait = 50;

/** Phases in which the target has not been promoted: a timeout there fails cleanly. */
const beforePromotion: Phase[] = ["Pending", "Fencing", "Promoting"];

export function nextStep(f: PromotionFacts): Step {
  const at = (
    phase: Phase,
    action: Action,
    reason: Reason,
    message: string,
    requeueAfterMs?: number,
  ): Step => ({
    phase,
    action,
    reason,
    message,
    ...(requeueAfterMs === undefined ? {} : { requeueAfterMs }),
  });
  if (f.phase === "Succeeded" || f.phase === "Failed" || f.phase === "Aborted") {
    return at(f.phase, "none", terminalReason[f.phase], "finished");
  }
  if (
    f.startedAt !== undefined &&
    beforePromotion.includes(f.phase) &&
    f.now - f.startedAt > f.timeoutSeconds * 1000
  ) {
    // Not after promotion: once the target is writable it is the primary, and going back would
    // make things worse; Rerouting and Verifying keep trying instead.
    return at(
      "Failed",
      "none",
      Reason.PromotionTimedOut,
      `no progress past ${f.phase} within ${f.timeoutSeconds} s (policy promotion.timeoutSeconds)`,
    );
  }
  switch (f.phase) {
    case "Pending":
      if (!f.approved)
        return at(
          "Pending",
          "none",
          Reason.AwaitingApproval,
          "waiting for spec.approved: true (the policy is Manual)",
        );
      if (f.epoch === "taken")
        return at("Aborted", "none", Reason.EpochTaken, "another promotion allocated the next epoch first");
      if (f.epoch === "free" && f.obsolete)
        return at("Aborted", "none", f.obsolete.reason, f.obsolete.message);
      if (f.targetProblem?.unknown)
        // Not yet observed (an operator that just started): wait, within promotion.timeoutSeconds.
        return at("Pending", "none", f.targetProblem.reason, `waiting: ${f.targetProblem.message}`, 500);
      if (f.targetProblem) return at("Failed", "none", f.targetProblem.reason, f.targetProblem.message);
      if (f.dryRun) {
        const how = f.oldPrimary.reachable
          ? "fence the old primary directly"
          : `wait until its region Lease has gone unrenewed ${f.oldPrimary.expiryWaitSeconds} s and a majority votes`;
        return at(
          "Succeeded",
          "none",
          Reason.DryRunCompleted,
          `dry run: every check passed; would ${how}, promote the target, then reroute DNS`,
        );
      }
      // The epoch is taken by a compare-and-swap on the app before anything is fenced.
      if (f.epoch === "free")
        return at("Pending", "allocateEpoch", Reason.Fencing, "allocating the next epoch", fallback);
      return at("Fencing", "none", Reason.Fencing, "fencing the old primary");
    case "Fencing": {
      if (f.oldPrimary.fenced)
        // Its agent may have fenced it before the hub's own fence ran (and recorded the final
        // position): read the position now, or a switchover waits for zero lag for ever.
        return at(
          "Promoting",
          "readFinalPosition",
          Reason.PrimaryFenced,
          "old primary confirmed fenced by the hub",
        );
      if (f.oldPrimary.acknowledged)
        // Its agent fenced it; where the hub still reaches its database, the final WAL position
        // lets Promoting hold the lag guard against what the old primary really wrote.
        return at(
          "Promoting",
          "readFinalPosition",
          Reason.PrimaryFenced,
          "the old primary's agent fenced it at this epoch",
        );
      if (f.stepFailed) return at("Failed", "none", f.stepFailed.reason, f.stepFailed.message);
      if (f.oldPrimary.promoteAway.ok)
        return at(
          "Promoting",
          "none",
          Reason.LeaseExpired,
          `old primary unreachable: ${f.oldPrimary.promoteAway.message}`,
        );
      if (f.oldPrimary.reachable)
        return at("Fencing", "fence", Reason.Fencing, "fencing the reachable old primary", fallback);
      return at(
        "Fencing",
        "none",
        f.oldPrimary.promoteAway.reason ?? Reason.Fencing,
        `old primary unreachable and not yet acknowledged fenced; ${f.oldPrimary.promoteAway.message}`,
        Math.min(Math.max(f.oldPrimary.promoteAway.waitMs ?? fallback, minLeaseWait), 5000),
      );
    }
    case "Promoting":
      if (f.target.writable) return at("Rerouting", "none", Reason.Rerouting, "target promoted and writable");
      if (f.stepFailed) return at("Failed", "none", f.stepFailed.reason, f.stepFailed.message);
      if (f.lagGuard?.state === "breached")
        return at("Failed", "none", Reason.ReplicationLagTooHigh, f.lagGuard.message);
      if (f.lagGuard?.state === "wait")
        return at("Promoting", "none", Reason.ReplicationLagTooHigh, f.lagGuard.message, 500);
      if (f.type !== "Failover" && !f.target.caughtUp) {
        return at(
          "Promoting",
          // A crash between entering Promoting and reading the position leaves it unread.
          f.target.finalPositionKnown ? "none" : "readFinalPosition",
          Reason.WaitingForZeroLag,
          "waiting until the target has replayed every write of the old primary",
          zeroLagPoll,
        );
      }
      return at("Promoting", "promote", Reason.Promoting, "promoting the target database", fallback);
    case "Rerouting":
      if (!f.target.scaledUp)
        return at(
          "Rerouting",
          "scaleUp",
          Reason.Rerouting,
          "scaling the target workload to the old primary's size",
          fallback,
        );
      if (!f.dnsPointsAtTarget)
        return at("Rerouting", "reroute", Reason.Rerouting, "pointing DNS at the target", fallback);
      return at("Verifying", "none", Reason.Verifying, "DNS updated");
    case "Verifying":
      if (f.verified)
        return at(
          "Succeeded",
          "none",
          Reason.PromotionSucceeded,
          "DNS answers the target and the new primary takes writes",
        );
      return at(
        "Verifying",
        "none",
        Reason.Verifying,
        "waiting for DNS and a test write to confirm",
        verifyPoll,
      );
  }
}

const terminalReason: Record<"Succeeded" | "Failed" | "Aborted", Reason> = {
  Succeeded: Reason.PromotionSucceeded,
  Failed: Reason.PromotionFailed,
  Aborted: Reason.PromotionAborted,
};
