import { Reason } from "../api/reasons.ts";
import type { FailoverPolicy, MemberCluster, RegionalApp, ReplicaPromotion } from "../api/types.generated.ts";
import { disqualification, measuresLagBytes } from "./decide-failover.ts";

/**
 * Why the promotion's target may not take over now, or undefined: it must be another region of
 * the app, healthy, inside the allowed jurisdictions, and within the lag guard unless the policy or
 * the promotion allows data loss (a switchover or drill waits for zero lag later instead).
 */
export function decideTargetProblem(
  app: RegionalApp,
  policy: FailoverPolicy,
  rp: ReplicaPromotion,
  from: string,
  clusters: { get(name: string): MemberCluster | undefined },
): { reason: Reason; message: string; unknown?: true } | undefined {
  const spec = app.spec.regions.find((r) => r.name === rp.spec.targetRegion);
  if (!spec)
    return {
      reason: Reason.NoFailoverTarget,
      message: `spec.targetRegion ${rp.spec.targetRegion} is not a region of ${app.metadata?.name}`,
    };
  if (spec.name === from)
    return { reason: Reason.NoFailoverTarget, message: `${spec.name} is already the primary` };
  const seen = app.status?.regions?.find((r) => r.name === spec.name);
  const planned = rp.spec.type !== "Failover";
  return disqualification(
    {
      name: spec.name,
      priority: spec.priority,
      healthy: seen?.healthy,
      jurisdiction: clusters.get(spec.clusterRef)?.spec.jurisdiction,
      lagBytes: seen?.replicationLagBytes,
    },
    {
      primary: from,
      regions: [],
      suspended: false,
      mode: policy.spec.mode,
      guardsLag: measuresLagBytes(app) && !planned,
      maxLagBytes: policy.spec.promotion.maxLagBytes,
      allowDataLoss: policy.spec.promotion.allowDataLoss || rp.spec.allowDataLoss,
      minHealthyRegions: 0,
      minSecondsBetweenFailovers: 0,
      ...(policy.spec.allowedJurisdictions ? { allowedJurisdictions: policy.spec.allowedJurisdictions } : {}),
      promotionInProgress: false,
      now: 0,
    },
  );
}
