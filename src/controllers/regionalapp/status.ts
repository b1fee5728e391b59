// The RegionalApp's health status, computed purely from the regions' health and the previous status.
import { conditionTime, setCondition, setProgress } from "../../api/conditions.ts";
import { Reason, RegionalAppCondition } from "../../api/reasons.ts";
import type { Condition, RegionalApp, RegionalAppStatus, RegionStatus } from "../../api/types.generated.ts";
import type { DnsVerdict } from "./dns-preflight.ts";
import type { RegionHealth } from "./health.ts";
import { appProgress } from "./progress.ts";

/** One region as this reconcile saw it. */
export interface RegionView extends RegionHealth {
  name: string;
  reason: Reason;
  message: string;
  /** When the region was last observed (ms); status.regions[].lastProbeTime when status is written. */
  observedAt: number | undefined;
  /** Bytes its database replica is behind the primary, when measured. */
  lagBytes?: number;
  /** Why it could not take over right now (pre-flight), or undefined when it could. */
  blocker?: { reason: Reason; message: string };
}

/**
 * The health part of RegionalApp.status: per-region verdicts, `healthyRegions`, and the Ready,
 * Degraded, FailoverReady, FailoverInProgress and PrimaryAsSpecified conditions. The failover fields (currentPrimary,
 * epoch, lastFailover) are not part of it: they have their own writer (failoverFieldManager).
 */
export function healthStatus(
  app: RegionalApp,
  regions: RegionView[],
  now: Date,
  context: {
    activePromotion?: string | undefined;
    decision?: { failover: boolean; reason: Reason; message: string; target?: string };
    dns?: DnsVerdict;
  } = {},
): RegionalAppStatus {
  const { activePromotion, decision, dns } = context;
  const previous = app.status ?? {};
  const generation = app.metadata?.generation ?? 0;
  const primary = previous.currentPrimary ?? app.spec.primaryRegion;
  const primaryView = regions.find((r) => r.name === primary);
  const unhealthy = regions.filter((r) => r.healthy === false);
  const healthyCount = regions.filter((r) => r.healthy === true).length;

  let conditions: Condition[] | undefined = previous.conditions;
  const set = (
    type: (typeof RegionalAppCondition)[keyof typeof RegionalAppCondition],
    c: Omit<Parameters<typeof setCondition>[1], "type" | "observedGeneration">,
  ) => {
    conditions = setCondition(conditions, { type, observedGeneration: generation, ...c }, now);
  };

  if (primaryView?.healthy === true) {
    set(RegionalAppCondition.Ready, {
      status: "True",
      reason: Reason.PrimaryHealthy,
      message: `primary region ${primary} is healthy`,
    });
  } else if (primaryView?.healthy === false) {
    set(RegionalAppCondition.Ready, {
      status: "False",
      reason: Reason.PrimaryUnhealthy,
      message: `primary region ${primary}: ${primaryView.message}`,
    });
  } else {
    set(RegionalAppCondition.Ready, {
      status: "Unknown",
      reason: Reason.ProbePending,
      message: `primary region ${primary} not yet judged: ${primaryView?.message ?? "no observation yet"}`,
    });
  }

  if (unhealthy.length > 0) {
    set(RegionalAppCondition.Degraded, {
      status: "True",
      reason: (unhealthy.find((r) => r.name === primary) ?? unhealthy[0])?.reason ?? Reason.RegionUnhealthy,
      message: unhealthy.map((r) => `${r.name}: ${r.message}`).join("; "),
    });
  } else {
    set(RegionalAppCondition.Degraded, {
      status: "False",
      reason: Reason.AllRegionsHealthy,
      message: `${healthyCount}/${regions.length} regions healthy`,
    });
  }

  const others = regions.filter((r) => r.name !== primary);
  const targets = others.filter((r) => r.healthy === true && !r.blocker);
  const held =
    primaryView?.healthy === false &&
    decision &&
    !decision.failover &&
    decision.reason !== Reason.FailoverInProgress;
  if (held) {
    // The primary is down and a safety rule holds the failover back: that is what to read first.
    set(RegionalAppCondition.FailoverReady, {
      status: "False",
      reason: decision.reason,
      message: decision.message,
    });
  } else if (targets.length > 0 && dns && !dns.usable) {
    set(RegionalAppCondition.FailoverReady, {
      status: "False",
      reason: dns.reason,
      message: `DNS: ${dns.message}`,
    });
  } else if (targets.length > 0) {
    set(RegionalAppCondition.FailoverReady, {
      status: "True",
      reason: Reason.PreflightPassed,
      message: `can fail over to ${targets.map((r) => r.name).join(", ")}`,
    });
  } else {
    // Blocker messages name their region already.
    const why = others.map(
      (r) => r.blocker?.message ?? `${r.name}: ${r.healthy === undefined ? "not yet judged" : r.message}`,
    );
    const first = others.find((r) => r.blocker)?.blocker;
    set(RegionalAppCondition.FailoverReady, {
      status: "False",
      reason: first?.reason ?? Reason.NoFailoverTarget,
      message:
        why.length === 0 ? "the app has only one region" : `no region could take over: ${why.join("; ")}`,
    });
  }

  if (dns)
    set(RegionalAppCondition.DnsReady, { status: dns.status, reason: dns.reason, message: dns.message });

  const asSpecified = primaryAsSpecified(app);
  set(RegionalAppCondition.PrimaryAsSpecified, asSpecified);

  if (activePromotion) {
    set(RegionalAppCondition.FailoverInProgress, {
      status: "True",
      reason: Reason.FailoverInProgress,
      message: `ReplicaPromotion ${activePromotion} is running`,
    });
  } else {
    set(RegionalAppCondition.FailoverInProgress, {
      status: "False",
      reason: Reason.PrimaryHealthy,
      message: "no promotion running",
    });
  }

  const progress = appProgress(app, {
    activePromotion,
    primaryHealthy: primaryView?.healthy,
    decision,
    asSpecified,
  });
  conditions = setProgress(conditions, progress, generation, now);

  return {
    observedGeneration: generation,
    healthyRegions: `${healthyCount}/${regions.length}`,
    regions: regions.map(regionStatus),
    conditions,
  };
}

/**
 * Whether the primary is the region spec.primaryRegion prefers, and when not, what to do about it.
 * After an automatic failover the two differ until someone decides (failback is Manual): accept
 * the new primary in Git, or go back once the old region's database is a replica again.
 */
export function primaryAsSpecified(app: RegionalApp): {
  status: "True" | "False";
  reason: Reason;
  message: string;
} {
  const spec = app.spec.primaryRegion;
  const status = app.status ?? {};
  const current = status.currentPrimary ?? spec;
  if (current === spec) {
    return {
      status: "True",
      reason: Reason.PrimaryMatchesSpec,
      message: `the primary is ${current}, as spec.primaryRegion says`,
    };
  }
  const last = status.lastFailover;
  const applied = status.lastAppliedPrimaryRegion;
  let message: string;
  if (applied !== undefined && applied !== spec) {
    message = `spec.primaryRegion changed from ${applied} to ${spec}; the primary is still ${current} while the switchover is decided or runs`;
  } else if (last?.type === "Failover" && last.to === current) {
    const where = [
      last.epoch !== undefined ? ` at epoch ${last.epoch}` : "",
      last.promotionRef ? ` (ReplicaPromotion ${last.promotionRef})` : "",
    ].join("");
    message =
      `${last.from ?? "the primary"} failed over to ${current}${where}; spec.primaryRegion still prefers ${spec}. ` +
      `To keep ${current}, set spec.primaryRegion: ${current} in Git; to go back once ${spec}'s database is rebuilt as a replica, ` +
      `do the same with ${spec} after setting it, or create a Switchover ReplicaPromotion`;
  } else {
    message =
      `the primary is ${current} but spec.primaryRegion says ${spec}, and a move to ${spec} did not complete` +
      `${last?.promotionRef ? ` (last promotion: ReplicaPromotion ${last.promotionRef})` : ""}. ` +
      `To keep ${current}, set spec.primaryRegion: ${current} in Git; to try ${spec} again, create a Switchover ReplicaPromotion ` +
      `to ${spec}, or set spec.primaryRegion: ${current} and then ${spec} again`;
  }
  return { status: "False", reason: Reason.PrimaryDiffersFromSpec, message };
}

function regionStatus(r: RegionView): RegionStatus {
  return {
    name: r.name,
    ...(r.healthy === undefined ? {} : { healthy: r.healthy }),
    consecutiveFailures: r.consecutiveFailures,
    consecutiveSuccesses: r.consecutiveSuccesses,
    ...(r.observedAt === undefined ? {} : { lastProbeTime: conditionTime(new Date(r.observedAt)) }),
    message: r.message,
    ...(r.lagBytes === undefined ? {} : { replicationLagBytes: r.lagBytes }),
  };
}

/**
 * Whether `next` is worth a write: anything but lastProbeTime differs. lastProbeTime is written
 * along with a change, never on its own: refreshing it would put a write per app per heartbeat on
 * the hub (17/s at 1,000 apps every 60 s). Liveness of health checking is in the metric
 * meridian_observation_age_seconds, and each cluster's in MemberCluster.status.lastProbeTime.
 */
export function statusChanged(before: RegionalAppStatus | undefined, next: RegionalAppStatus): boolean {
  if (!before) return true;
  // Only the fields this writer owns: the failover fields have a writer of their own.
  const ours = (s: RegionalAppStatus) =>
    JSON.stringify({
      observedGeneration: s.observedGeneration,
      healthyRegions: s.healthyRegions,
      regions: s.regions?.map(({ lastProbeTime: _, ...r }) => r),
      conditions: s.conditions,
    });
  return ours(before) !== ours(next);
}

/** Status when the referenced FailoverPolicy is missing: nothing can be judged without its thresholds. */
export function policyMissingStatus(app: RegionalApp, message: string, now: Date): RegionalAppStatus {
  const generation = app.metadata?.generation ?? 0;
  const ready = setCondition(
    app.status?.conditions,
    {
      type: RegionalAppCondition.Ready,
      status: "False",
      reason: Reason.PolicyNotFound,
      message,
      observedGeneration: generation,
    },
    now,
  );
  // Nothing moves without the policy: a person must create it or fix spec.policyRef.
  const conditions = setProgress(
    ready,
    { state: "Stalled", reason: Reason.PolicyNotFound, message },
    generation,
    now,
  );
  return {
    observedGeneration: generation,
    ...(app.status?.healthyRegions ? { healthyRegions: app.status.healthyRegions } : {}),
    ...(app.status?.regions ? { regions: app.status.regions } : {}),
    conditions,
  };
}
