// Region health, decided purely: one observation per health-check interval, turned into a
// healthy/unhealthy verdict with the policy's failure and success thresholds. No I/O here; the
// controller gathers the inputs and records the result.
import { Reason } from "../../api/reasons.ts";
import type { WorkloadView } from "../../clusters/workloads.ts";

/** What the hub saw of one region at one probe. */
export interface RegionObservation {
  ok: boolean;
  /** Why, as a condition reason (for a failed observation, the first problem found). */
  reason: Reason;
  /** Why the observation failed, or a short summary when it passed; goes to status. */
  message: string;
}

/** The hysteresis state of one region, as kept in RegionalApp.status.regions[]. */
export interface RegionHealth {
  /** Undefined until a threshold has been reached once: neither a proven target nor failed. */
  healthy: boolean | undefined;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

export interface Thresholds {
  failureThreshold: number;
  successThreshold: number;
}

/**
 * Applies one observation. A region turns unhealthy after `failureThreshold` failed observations
 * in a row and healthy again after `successThreshold` good ones; in between it keeps its verdict.
 * The counters stop at their threshold: the verdict is all that depends on them, and counters
 * that kept growing would rewrite the status of every app at every probe.
 */
export function nextRegionHealth(
  prev: RegionHealth | undefined,
  obs: RegionObservation,
  t: Thresholds,
): RegionHealth {
  const before = prev ?? { healthy: undefined, consecutiveFailures: 0, consecutiveSuccesses: 0 };
  if (obs.ok) {
    const consecutiveSuccesses = Math.min(before.consecutiveSuccesses + 1, t.successThreshold);
    return {
      healthy: consecutiveSuccesses >= t.successThreshold ? true : before.healthy,
      consecutiveFailures: 0,
      consecutiveSuccesses,
    };
  }
  const consecutiveFailures = Math.min(before.consecutiveFailures + 1, t.failureThreshold);
  return {
    healthy: consecutiveFailures >= t.failureThreshold ? false : before.healthy,
    consecutiveFailures,
    consecutiveSuccesses: 0,
  };
}

/**
 * Whether a new observation is due. Reconciles also run on watch events; only one per interval
 * may count, or thresholds would be reached faster the busier the cluster. A tenth of the interval
 * of tolerance absorbs timer jitter.
 */
export function observationDue(
  lastObservedAtMs: number | undefined,
  nowMs: number,
  intervalSeconds: number,
): boolean {
  return lastObservedAtMs === undefined || nowMs - lastObservedAtMs >= intervalSeconds * 900;
}

/**
 * Whether an observation made now counts toward the thresholds: a due one, or one that differs
 * from the last counted observation (ok after failures, or a failure after successes). A change
 * counts when it is seen (a workload's watch event triggers the observation), so a failure is
 * detected failureThreshold − 1 intervals after the first failed observation, at most
 * failureThreshold intervals after it began, not up to one interval more. Equal observations are
 * still an interval apart, so no threshold is reached faster however often the app is reconciled.
 */
export function observationCounts(
  before: (RegionHealth & { observedAt: number | undefined }) | undefined,
  ok: boolean,
  nowMs: number,
  intervalSeconds: number,
): boolean {
  if (!before || observationDue(before.observedAt, nowMs, intervalSeconds)) return true;
  const lastOk = before.consecutiveSuccesses > 0 ? true : before.consecutiveFailures > 0 ? false : undefined;
  return lastOk !== undefined && lastOk !== ok;
}

export interface RegionInputs {
  /** Undefined when the MemberCluster does not exist; reachable is undefined before its first probe. */
  cluster: { reachable: boolean | undefined; message: string } | undefined;
  clusterRef: string;
  workloadRef: string;
  /** Undefined when the workload does not exist (or the cache has not synced, see `workloadKnown`). */
  workload: WorkloadView | undefined;
  /** False while the member cluster's workload cache has not synced: absence proves nothing yet. */
  workloadKnown: boolean;
  /** Result of the optional HTTP health endpoint probe. */
  endpoint?: { ok: boolean; message: string };
}

/**
 * Turns the raw signals of a region into one observation. A region is good when its cluster
 * answers, its workload exists and runs at least one available replica (a Deployment also its
 * Available condition, so a rolling update is not an outage), and its health endpoint, if any,
 * answers as expected. A workload scaled to zero is not healthy: nothing would serve traffic.
 *
 * Returns undefined when nothing can be concluded yet (no probe of the cluster so far, or the
 * workload cache still loading, as right after the operator starts): such a moment must not count
 * as a failure, or a restart of the operator could fail an app over.
 */
export function observeRegion(i: RegionInputs): RegionObservation | undefined {
  const fail = (reason: Reason, message: string): RegionObservation => ({ ok: false, reason, message });
  if (!i.cluster) return fail(Reason.MemberClusterNotFound, `MemberCluster ${i.clusterRef} not found`);
  if (i.cluster.reachable === undefined) return undefined;
  if (!i.cluster.reachable) {
    return fail(Reason.ApiServerUnreachable, `cluster ${i.clusterRef} unreachable: ${i.cluster.message}`);
  }
  if (!i.workloadKnown) return undefined;
  const w = i.workload;
  if (!w)
    return fail(Reason.WorkloadNotFound, `workload ${i.workloadRef} not found in cluster ${i.clusterRef}`);
  const counts = `${w.availableReplicas}/${w.replicas} replicas available`;
  if (w.replicas === 0) return fail(Reason.WorkloadUnavailable, `${i.workloadRef} is scaled to 0 replicas`);
  const short = w.availableReplicas < 1 || w.availableCondition === false;
  if (short || (w.kind === "StatefulSet" && w.availableReplicas < w.replicas)) {
    return fail(Reason.WorkloadUnavailable, `${i.workloadRef} has ${counts}`);
  }
  if (i.endpoint && !i.endpoint.ok)
    return fail(Reason.HealthEndpointFailing, `health endpoint: ${i.endpoint.message}`);
  return { ok: true, reason: Reason.RegionHealthy, message: counts };
}
