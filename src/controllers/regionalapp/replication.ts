import type { RegionalApp } from "../../api/types.generated.ts";
import { lsnDiff } from "../../promotion/lsn.ts";
import type { Promoter } from "../../promotion/promoter.ts";
import { type DatabaseLookup, databaseOf } from "../replicapromotion/databases.ts";

/** How far one replica is behind: in WAL bytes, and in time. */
export interface ReplicaLag {
  bytes: number;
  /**
   * How long ago the primary was first seen past the replica's position: at least that long of
   * writes is missing (0 when it has everything the primary was last seen with). Measured on the
   * operator's clock at its reads, so its resolution is the reconcile interval.
   */
  seconds: number;
}

/** Enough history for the longest lag worth telling apart (alerts go to 5 minutes). */
const maxSamples = 2000;

/** The primary's WAL positions as read, each with when it was first read (oldest first). */
export class PrimaryPositions {
  #samples: { lsn: string; atMs: number }[] = [];

  get latest(): string | undefined {
    return this.#samples.at(-1)?.lsn;
  }

  record(lsn: string, nowMs: number): void {
    const last = this.#samples.at(-1);
    const moved = last ? lsnDiff(lsn, last.lsn) : 1;
    if (moved === 0) return; // unchanged: keep when it was first seen
    // A position below the last (a new primary after a failover) starts a new history.
    if (moved < 0) this.#samples = [];
    this.#samples.push({ lsn, atMs: nowMs });
    if (this.#samples.length > maxSamples) this.#samples.shift();
  }

  /** The lag of a replica that has replayed up to `replicaLsn`, or undefined before any read. */
  lagOf(replicaLsn: string, nowMs: number): ReplicaLag | undefined {
    const latest = this.latest;
    if (latest === undefined) return undefined;
    const firstAhead = this.#samples.find((s) => lsnDiff(s.lsn, replicaLsn) > 0);
    return {
      bytes: Math.max(0, lsnDiff(latest, replicaLsn)),
      seconds: firstAhead ? Math.max(0, (nowMs - firstAhead.atMs) / 1000) : 0,
    };
  }
}

/**
 * Replication lag of every replica region behind the primary's WAL position. The primary's
 * position is remembered from the last time it could be read, so while the primary is unreachable
 * the lag still measures what a failover would lose (what the replica had not replayed when the
 * primary was last seen) rather than becoming unknown.
 */
export class ReplicationLagTracker {
  private readonly primaries = new Map<string, PrimaryPositions>();

  async measure(
    lookup: DatabaseLookup,
    promoter: Promoter,
    appKey: string,
    app: RegionalApp,
    primary: string,
    nowMs: number,
  ): Promise<Map<string, ReplicaLag>> {
    const lag = new Map<string, ReplicaLag>();
    if (!promoter.reportsPositions) return lag; // cloudnative-pg and job report no WAL positions
    const state = async (region: string) =>
      promoter.state(await databaseOf(lookup, app, region)).catch(() => undefined);
    const positions = this.primaries.get(appKey) ?? new PrimaryPositions();
    this.primaries.set(appKey, positions);
    const primaryState = await state(primary);
    if (primaryState && !primaryState.inRecovery) positions.record(primaryState.lsn, nowMs);
    if (positions.latest === undefined) return lag;
    for (const region of app.spec.regions) {
      if (region.name === primary) continue;
      const replica = await state(region.name);
      const replicaLag = replica?.inRecovery ? positions.lagOf(replica.lsn, nowMs) : undefined;
      if (replicaLag) lag.set(region.name, replicaLag);
    }
    return lag;
  }

  forget(appKey: string): void {
    this.primaries.delete(appKey);
  }
}
