// The data-loss guard a Failover re-checks at Promoting, against the fenced primary's final WAL
// position: maxLagBytes always, maxLagSeconds when the policy sets it. Pure; the caller reads the
// positions and the replica's replay age.

export interface LagReading {
  /** Bytes between the old primary's final position and what the target replayed (≤ 0: caught up). */
  bytes: number;
  /**
   * Seconds since the target replayed its last transaction, on the target server's own clock;
   * undefined when the engine cannot tell.
   */
  replayAgeSeconds: number | undefined;
}

export interface LagLimits {
  maxLagBytes: number;
  maxLagSeconds?: number;
}

/** Why the reading is beyond the limits, or undefined when the target may be promoted. */
export function lagBeyondGuard(lag: LagReading, limits: LagLimits): string | undefined {
  // Caught up: nothing would be lost, however long ago the last write happened (an idle primary
  // leaves an old replay timestamp behind a replica that has everything).
  if (lag.bytes <= 0) return undefined;
  if (lag.bytes > limits.maxLagBytes)
    return `${lag.bytes} bytes behind, above maxLagBytes ${limits.maxLagBytes}`;
  const maxSeconds = limits.maxLagSeconds;
  if (maxSeconds === undefined) return undefined;
  // When in doubt, refuse: a guard the user set and we cannot measure is not a passed guard.
  if (lag.replayAgeSeconds === undefined)
    return `${lag.bytes} bytes behind, and the age of its last replayed transaction is unknown, so maxLagSeconds ${maxSeconds} cannot be checked`;
  if (lag.replayAgeSeconds > maxSeconds)
    return `${lag.bytes} bytes behind with its last replayed transaction ${Math.round(lag.replayAgeSeconds)} s old, above maxLagSeconds ${maxSeconds}`;
  return undefined;
}
