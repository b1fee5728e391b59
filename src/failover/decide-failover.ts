// Whether a RegionalApp should fail over now, and where to: a pure function of the spec, the
// policy, what was observed and the clock. Every safety rule that can hold an automatic failover
// back lives here, so it can be tested exhaustively without a cluster.
import { Reason } from "../api/reasons.ts";

export interface CandidateRegion {
  name: string;
  /** Lower is preferred. */
  priority: number;
  /** The health verdict under the policy's thresholds; undefined while not yet judged. */
  healthy: boolean | undefined;
  /** The MemberCluster's jurisdiction label, if it has one. */
  jurisdiction?: string;
  /** How far its database replica is behind the primary, when the engine measures it. */
  lagBytes?: number;
}

export interface FailoverInputs {
  primary: string;
  regions: CandidateRegion[];
  suspended: boolean;
  mode: "Automatic" | "Manual";
  /** True when the app's engine has a replica to guard (postgresql, cloudnative-pg). */
  guardsLag: boolean;
  maxLagBytes: number;
  allowDataLoss: boolean;
  minHealthyRegions: number;
  minSecondsBetweenFailovers: number;
  allowedJurisdictions?: string[];
  /** When the last failover of this app started (ms), if any. */
  lastFailoverAt?: number;
  /** A ReplicaPromotion for the app is already running. */
  promotionInProgress: boolean;
  now: number;
}

export type FailoverDecision =
  | { failover: false; reason: Reason; message: string }
  | { failover: true; from: string; target: string; approved: boolean; reason: Reason; message: string };

const hold = (reason: Reason, message: string): FailoverDecision => ({ failover: false, reason, message });

/**
 * Why a region cannot be the target, or undefined when it can. `unknown` marks a fact not yet
 * observed (health or lag right after an operator start): it holds a decision back, but a running
 * promotion waits for it rather than failing.
 */
export function disqualification(
  r: CandidateRegion,
  i: FailoverInputs,
): { reason: Reason; message: string; unknown?: true } | undefined {
  if (r.healthy !== true) {
    return {
      reason: Reason.RegionUnhealthy,
      message: `${r.name} is ${r.healthy === false ? "unhealthy" : "not yet judged healthy"}`,
      ...(r.healthy === undefined ? { unknown: true as const } : {}),
    };
  }
  if (i.allowedJurisdictions && !(r.jurisdiction && i.allowedJurisdictions.includes(r.jurisdiction))) {
    return {
      reason: Reason.JurisdictionNotAllowed,
      message: `${r.name} is in jurisdiction ${r.jurisdiction ?? "(none)"}, not in allowedJurisdictions [${i.allowedJurisdictions.join(", ")}]`,
    };
  }
  if (i.guardsLag && !i.allowDataLoss) {
    if (r.lagBytes === undefined)
      return {
        reason: Reason.ReplicationLagTooHigh,
        message: `${r.name}'s replication lag is unknown`,
        unknown: true,
      };
    if (r.lagBytes > i.maxLagBytes) {
      return {
        reason: Reason.ReplicationLagTooHigh,
        message: `${r.name} lags ${r.lagBytes} bytes, above maxLagBytes ${i.maxLagBytes}`,
      };
    }
  }
  return undefined;
}

/**
 * The rules, in order: one promotion at a time; only a primary judged unhealthy is failed away
 * from; spec.suspend stops everything; no second failover within minSecondsBetweenFailovers;
 * at least minHealthyRegions other regions healthy (fewer suggests the hub, not the regions, is
 * cut off); the target is healthy, inside the allowed jurisdictions and within the lag guard;
 * among those, the lowest priority wins (then the name, for determinism). In Manual mode the
 * decision is made but waits for approval.
 */
export function decideFailover(i: FailoverInputs): FailoverDecision {
  if (i.promotionInProgress) return hold(Reason.FailoverInProgress, "a ReplicaPromotion is already running");
  const primary = i.regions.find((r) => r.name === i.primary);
  if (primary?.healthy !== false) {
    return hold(
      Reason.PrimaryHealthy,
      `primary region ${i.primary} is ${primary?.healthy ? "healthy" : "not yet judged"}`,
    );
  }
  if (i.suspended) return hold(Reason.Suspended, "spec.suspend is true: automatic failover is off");
  if (i.lastFailoverAt !== undefined) {
    const wait = i.lastFailoverAt + i.minSecondsBetweenFailovers * 1000 - i.now;
    if (wait > 0) {
      return hold(
        Reason.TooSoonSinceLastFailover,
        `the last failover was less than minSecondsBetweenFailovers (${i.minSecondsBetweenFailovers} s) ago; ${Math.ceil(wait / 1000)} s to go`,
      );
    }
  }
  const others = i.regions.filter((r) => r.name !== i.primary);
  const healthy = others.filter((r) => r.healthy === true).length;
  if (healthy < i.minHealthyRegions) {
    return hold(
      Reason.TooFewHealthyRegions,
      `${healthy} other region(s) healthy, minHealthyRegions is ${i.minHealthyRegions}`,
    );
  }
  const ruledOut = others.map((r) => ({ r, why: disqualification(r, i) }));
  const eligible = ruledOut.filter((x) => !x.why).map((x) => x.r);
  if (eligible.length === 0) {
    const first = ruledOut.find((x) => x.why)?.why;
    return hold(
      first?.reason ?? Reason.NoFailoverTarget,
      `no region can take over: ${ruledOut.map((x) => x.why?.message).join("; ")}`,
    );
  }
  const target = [...eligible].sort(
    (a, b) => a.priority - b.priority || a.name.localeCompare(b.name),
  )[0] as CandidateRegion;
  const approved = i.mode === "Automatic";
  return {
    failover: true,
    from: i.primary,
    target: target.name,
    approved,
    reason: approved ? Reason.AutomaticPolicy : Reason.AwaitingApproval,
    message: `primary region ${i.primary} is unhealthy; failing over to ${target.name}${approved ? "" : " once spec.approved is true"}`,
  };
}

/**
 * Whether the app's engine measures replication lag in bytes (postgresql), so the byte guard
 * applies. cloudnative-pg loses nothing by construction (its promotion waits for the demoted
 * primary's token, and the hub alone fences it); job leaves the guard to the user's promote Job,
 * which gets MERIDIAN_MAX_LAG_BYTES (docs/job-engine.md).
 */
export function measuresLagBytes(app: { spec: { database: { engine: string } } }): boolean {
  return app.spec.database.engine === "postgresql";
}
