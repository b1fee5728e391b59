// Where a ReplicaPromotion stands, for kstatus (Flux, kpt): the verdict behind its Reconciling and
// Stalled conditions. Pure; docs/gitops.md explains each case to users.
import type { Progress } from "../../api/conditions.ts";
import { Reason } from "../../api/reasons.ts";
import type { Phase } from "../../failover/promotion-steps.ts";

/**
 * The Reconciling/Stalled verdict per phase: running phases are work in progress; a promotion
 * waiting for approval, and one that failed or was aborted, need a person (kstatus Failed, so a
 * Flux wait on it ends with the reason instead of timing out).
 */
export function promotionProgress(phase: Phase, outcome: { reason: Reason; message: string }): Progress {
  if (phase === "Succeeded") return { state: "Done", ...outcome };
  if (phase === "Failed" || phase === "Aborted") return { state: "Stalled", ...outcome };
  if (outcome.reason === Reason.AwaitingApproval) return { state: "Stalled", ...outcome };
  return { state: "Reconciling", ...outcome };
}
