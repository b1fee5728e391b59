// The protocol's timing rules, derived from one app's policy (leaseDurationSeconds,
// renewDeadlineSeconds, retryPeriodSeconds). Every duration here is measured by one process on its
// own monotonic clock; no two machines' clocks are ever compared. The proofs in docs/fencing.md
// assume clock *rates* differ by at most `clockRateBound`; each margin below covers five times that.

/** The largest difference in clock rate the protocol tolerates (1 %: far above NTP-less drift). */
export const clockRateBound = 0.01;
/** Every duration one side relies on the other side honouring is stretched or shrunk by this much. */
export const driftAllowance = 0.05;

export interface FencingTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export function timingOf(fencing: {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}): FencingTiming {
  return {
    leaseDurationMs: fencing.leaseDurationSeconds * 1000,
    renewDeadlineMs: fencing.renewDeadlineSeconds * 1000,
    retryPeriodMs: fencing.retryPeriodSeconds * 1000,
  };
}

/**
 * How recent an agent's vote (a renewal that does not abstain) must be for the hub to count it
 * toward a majority. Short, because a promise must cover it *backwards* (see `promiseQuietMs`), and
 * the promise must be obtainable before the asker's renew deadline.
 */
export const voterWindowMs = (t: FencingTiming) => Math.max(t.renewDeadlineMs / 6, minVoterWindowMs);

/** Room for a renewal and two of the hub's reads (every `hubReadIntervalMs`) inside any window. */
const minVoterWindowMs = 2000;
/** How often the hub reads every region Lease afresh. */
export const hubReadIntervalMs = 500;

/** A peer's promise counts for an app only if the peer cast no vote for at least this long before it. */
export const promiseQuietMs = (t: FencingTiming) => voterWindowMs(t) * (1 + driftAllowance);

/**
 * The hub promotes away from an unreachable region only after its Lease went unrenewed this long by
 * the hub's own observation: the lease duration, stretched for drift, plus a fixed margin for the
 * fence itself to complete in the region (scale to zero, close the database).
 */
export const expiryMs = (t: FencingTiming) => t.leaseDurationMs * (1 + driftAllowance) + fenceMarginMs;

/** Time the region's agent has, between its renew deadline and the hub's expiry, to finish a fence. */
export const fenceMarginMs = 2000;

/**
 * The agent's own cadence, from the apps it guards (or the policy defaults when it guards none):
 * it renews often enough that a healthy agent always has a vote inside every app's voter window,
 * and it stops voting (renews abstaining) soon enough after renewals start failing that it can
 * give promises before a peer's renew deadline.
 */
export interface AgentCadence {
  renewIntervalMs: number;
  /** A renewal request is abandoned after this; the proofs assume none lands later. */
  requestTimeoutMs: number;
  /** After this long without a successful renewal, renewals abstain (so that the agent may promise). */
  abstainAfterMs: number;
  /** A promise binds its giver to abstain this long. */
  promiseHoldMs: number;
}

const minRequestTimeoutMs = 1000;

/** Below this renew deadline a promise cannot arrive in time: losing the hub then fences (the safe side). */
export const failsafeMinRenewDeadlineMs = 8000;

export const defaultTiming: FencingTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2000,
};

export function agentCadence(timings: readonly FencingTiming[]): AgentCadence {
  const all = timings.length > 0 ? timings : [defaultTiming];
  const renewIntervalMs = Math.min(...all.map((t) => Math.min(t.retryPeriodMs, t.renewDeadlineMs / 8)));
  // Long enough for a loaded API server; the failsafe's budget (docs/fencing.md) includes it.
  const requestTimeoutMs = Math.max(renewIntervalMs, minRequestTimeoutMs);
  return {
    renewIntervalMs,
    requestTimeoutMs,
    // One renewal missed entirely (sent, timed out) before the agent stops voting.
    abstainAfterMs: renewIntervalMs + requestTimeoutMs,
    promiseHoldMs: Math.max(...all.map((t) => t.leaseDurationMs)),
  };
}
