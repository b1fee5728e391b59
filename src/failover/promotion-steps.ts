// The ReplicaPromotion state machine as a pure function: from what is known now, the phase the
// promotion is in and the one action to take next. Pending → Fencing → Promoting → Rerouting →
// Verifying → Succeeded, or Failed / Aborted. The controller persists the phase before acting, and
// every action is idempotent, so a crash at any point resumes here with the same answer.
import { Reason } from "../api/reasons.ts";
import type { PromotionPhase } from "../api/types.generated.ts";

export type Phase = PromotionPhase;
export type Action = "none" | "fence" | "promote" | "scaleUp" | "reroute";

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
  /** Why the target may not take over (unhealthy, jurisdiction, lag guard), or undefined. */
  targetProblem?: { reason: Reason; message: string };
  oldPrimary: {
    reachable: boolean;
    /** Confirmed to refuse writes: database fenced and writer scaled to zero. */
    fenced: boolean;
  };
  /** The old primary's Lease: the hub stops renewing it when Fencing begins. */
  lease: { durationSeconds: number; marginSeconds: number };
  target: {
    /** The target database accepts writes (promoted). */
    writable: boolean;
    /** The target replica has replayed everything the old primary wrote (zero lag). */
    caughtUp: boolean;
    /** The target workload runs at the old primary's size. */
    scaledUp: boolean;
  };
  /** DNS (as published) names only the target. */
  dnsPointsAtTarget: boolean;
  /** The authoritative answer and a test write on the new primary both check out. */
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

// While a promotion runs, its facts are re-read this often: every second of polling is a second of RTO.
const poll = 250;

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
      if (f.targetProblem) return at("Failed", "none", f.targetProblem.reason, f.targetProblem.message);
      if (f.dryRun) {
        const how = f.oldPrimary.reachable
          ? "fence the old primary directly"
          : `wait ${f.lease.durationSeconds + f.lease.marginSeconds} s for its Lease to lapse`;
        return at(
          "Succeeded",
          "none",
          Reason.DryRunCompleted,
          `dry run: every check passed; would ${how}, promote the target, then reroute DNS`,
        );
      }
      return at("Fencing", "none", Reason.Fencing, "fencing the old primary");
    case "Fencing": {
      if (f.oldPrimary.fenced)
        return at("Promoting", "none", Reason.PrimaryFenced, "old primary confirmed fenced");
      if (f.oldPrimary.reachable)
        return at("Fencing", "fence", Reason.Fencing, "fencing the reachable old primary", poll);
      // Unreachable: its agent fences it when the Lease is not renewed, which the hub stopped
      // doing when this phase began; wait out the lease plus a margin for clock skew.
      const expiresAt = f.phaseStartedAt + (f.lease.durationSeconds + f.lease.marginSeconds) * 1000;
      if (f.now >= expiresAt)
        return at(
          "Promoting",
          "none",
          Reason.LeaseExpired,
          "old primary unreachable; its Lease has lapsed, so its agent has fenced it",
        );
      return at(
        "Fencing",
        "none",
        Reason.Fencing,
        `old primary unreachable; waiting ${Math.ceil((expiresAt - f.now) / 1000)} s for its Lease to lapse`,
        expiresAt - f.now,
      );
    }
    case "Promoting":
      if (f.target.writable) return at("Rerouting", "none", Reason.Rerouting, "target promoted and writable");
      if (f.type !== "Failover" && !f.target.caughtUp) {
        return at(
          "Promoting",
          "none",
          Reason.WaitingForZeroLag,
          "waiting until the target has replayed every write of the old primary",
          200,
        );
      }
      return at("Promoting", "promote", Reason.Promoting, "promoting the target database", poll);
    case "Rerouting":
      if (!f.target.scaledUp)
        return at(
          "Rerouting",
          "scaleUp",
          Reason.Rerouting,
          "scaling the target workload to the old primary's size",
          poll,
        );
      if (!f.dnsPointsAtTarget)
        return at("Rerouting", "reroute", Reason.Rerouting, "pointing DNS at the target", poll);
      return at("Verifying", "none", Reason.Verifying, "DNS updated");
    case "Verifying":
      if (f.verified)
        return at(
          "Succeeded",
          "none",
          Reason.PromotionSucceeded,
          "DNS answers the target and the new primary takes writes",
        );
      return at("Verifying", "none", Reason.Verifying, "waiting for DNS and a test write to confirm", poll);
  }
}

const terminalReason: Record<"Succeeded" | "Failed" | "Aborted", Reason> = {
  Succeeded: Reason.PromotionSucceeded,
  Failed: Reason.PromotionFailed,
  Aborted: Reason.PromotionAborted,
};
