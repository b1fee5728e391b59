// What a FailoverPolicy promises, checked against what the operator can deliver — the rules CEL
// cannot express because they need the protocol's timing formulas, the operator's flags or the
// registered MemberClusters. Pure: the reconciler passes in everything it reads.
import type { FailoverPolicySpec } from "../../api/types.generated.ts";
import { expiryMs, failsafeMinRenewDeadlineMs, timingOf } from "../../fencing/protocol/timing.ts";

export interface PolicyEnvironment {
  /** The operator's --probe-interval-seconds: how often each member cluster's reachability is refreshed. */
  probeIntervalMs: number;
  /** Jurisdictions of the registered MemberClusters (undefined: the cluster sets none). */
  clusterJurisdictions: readonly (string | undefined)[];
}

/** One problem, in a message that starts with the field to change and ends with the fix. */
export interface Finding {
  message: string;
}

export interface PolicyReview {
  /** The policy cannot do what it says: a failover it describes would fail or never start. */
  errors: Finding[];
  /** The policy works, but less well than its numbers suggest. */
  warnings: Finding[];
}

export function reviewPolicy(spec: FailoverPolicySpec, env: PolicyEnvironment): PolicyReview {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const timing = timingOf(spec.fencing);
  const expirySeconds = expiryMs(timing) / 1000;

  // A failover away from an unreachable region waits for its Lease to expire before promoting; the
  // promotion's timeout runs from its start, so it must outlast the wait.
  if (spec.promotion.timeoutSeconds <= expirySeconds) {
    const floor = Math.floor(expirySeconds);
    errors.push({
      message: `promotion.timeoutSeconds (${spec.promotion.timeoutSeconds}) must exceed the lease expiry wait (${expirySeconds} s = leaseDurationSeconds × 1.05 + 2 s), or every failover away from an unreachable region times out before it may promote; raise promotion.timeoutSeconds above ${floor} or lower fencing.leaseDurationSeconds`,
    });
  }

  if (timing.renewDeadlineMs < failsafeMinRenewDeadlineMs) {
    warnings.push({
      message: `fencing.renewDeadlineSeconds (${spec.fencing.renewDeadlineSeconds}) is below ${failsafeMinRenewDeadlineMs / 1000}: the agents' failsafe cannot gather promises in time, so losing the hub's API server for that long fences the primary (safe, but an outage of the hub becomes an outage of the app); use 8 or more`,
    });
  }

  const probeIntervalSeconds = env.probeIntervalMs / 1000;
  if (spec.healthCheck.intervalSeconds < probeIntervalSeconds) {
    warnings.push({
      message: `healthCheck.intervalSeconds (${spec.healthCheck.intervalSeconds}) is shorter than the operator's --probe-interval-seconds (${probeIntervalSeconds} s): cluster reachability is refreshed only every ${probeIntervalSeconds} s, so consecutive health checks read the same cluster probe: one failed probe can count as several failures (a blip may reach failureThreshold on its own) and recovery is seen late; raise intervalSeconds or lower the operator's --probe-interval-seconds`,
    });
  }

  const allowed = spec.allowedJurisdictions;
  if (allowed && allowed.length > 0) {
    const eligible = env.clusterJurisdictions.filter((j) => j !== undefined && allowed.includes(j)).length;
    if (eligible === 0) {
      warnings.push({
        message: `no registered MemberCluster has a jurisdiction in allowedJurisdictions (${allowed.join(", ")}): apps under this policy cannot fail over anywhere; set spec.jurisdiction on the MemberClusters or extend the list`,
      });
    }
  }

  if (spec.minHealthyRegions > env.clusterJurisdictions.length) {
    warnings.push({
      message: `minHealthyRegions (${spec.minHealthyRegions}) exceeds the ${env.clusterJurisdictions.length} registered MemberClusters: no automatic failover can start; register more clusters or lower minHealthyRegions`,
    });
  }
  return { errors, warnings };
}
