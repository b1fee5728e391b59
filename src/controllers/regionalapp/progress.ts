// Where a RegionalApp stands with its spec, for kstatus (Flux, kpt) and Argo CD: the verdict behind
// its Reconciling and Stalled conditions. Pure; docs/gitops.md explains each case to users.
import type { Progress } from "../../api/conditions.ts";
import { Reason } from "../../api/reasons.ts";
import type { RegionalApp } from "../../api/types.generated.ts";

export interface AppProgressInputs {
  /** The name of the app's running ReplicaPromotion, if any. */
  activePromotion?: string | undefined;
  /** This reconcile's health verdict on the current primary; undefined while not yet judged. */
  primaryHealthy: boolean | undefined;
  /** The automatic-failover decision taken on the same observations. */
  decision?: { failover: boolean; reason: Reason; message: string; target?: string } | undefined;
  /** The PrimaryAsSpecified verdict (status.ts), which says what to do when the two differ. */
  asSpecified: { status: "True" | "False"; reason: Reason; message: string };
}

/**
 * In order: a running promotion or handover, a spec.primaryRegion not yet acted upon, a primary not yet judged
 * and a failed primary whose failover is starting are work in progress; a failed primary whose
 * failover a safety rule holds back, and a primary other than the spec's (after a failover or a
 * failed switchover), need a person; else the spec is realized.
 */
export function appProgress(app: RegionalApp, i: AppProgressInputs): Progress {
  const spec = app.spec.primaryRegion;
  const applied = app.status?.lastAppliedPrimaryRegion;
  const primary = app.status?.currentPrimary ?? spec;
  if (i.activePromotion) {
    return {
      state: "Reconciling",
      reason: Reason.FailoverInProgress,
      message: `ReplicaPromotion ${i.activePromotion} is running`,
    };
  }
  const handover = app.status?.handover;
  if (handover) {
    // Also covers a cached app a moment behind a promotion that just succeeded.
    return {
      state: "Reconciling",
      reason: Reason.FailoverInProgress,
      message: `ReplicaPromotion ${handover.promotionRef} is handing the primary over from ${handover.from} to ${handover.to} at epoch ${handover.epoch}`,
    };
  }
  if (applied !== undefined && applied !== spec) {
    return {
      state: "Reconciling",
      reason: Reason.PrimaryRegionChanged,
      message: `spec.primaryRegion changed from ${applied} to ${spec}: a switchover is starting`,
    };
  }
  if (i.primaryHealthy === undefined) {
    return {
      state: "Reconciling",
      reason: Reason.ProbePending,
      message: `primary region ${primary} not yet judged`,
    };
  }
  if (!i.primaryHealthy) {
    if (i.decision?.failover) {
      return {
        state: "Reconciling",
        reason: i.decision.reason,
        message: `primary region ${primary} is unhealthy: failing over${i.decision.target ? ` to ${i.decision.target}` : ""}`,
      };
    }
    return {
      state: "Stalled",
      reason: i.decision?.reason ?? Reason.PrimaryUnhealthy,
      message: `primary region ${primary} is unhealthy and no failover starts: ${i.decision?.message ?? "no decision yet"}`,
    };
  }
  const { asSpecified } = i;
  if (asSpecified.status === "False") {
    return { state: "Stalled", reason: asSpecified.reason, message: asSpecified.message };
  }
  return {
    state: "Done",
    reason: Reason.PrimaryHealthy,
    message: `the primary is ${primary}, as spec.primaryRegion says, and healthy`,
  };
}
