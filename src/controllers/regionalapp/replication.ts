import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { RegionalApp } from "../../api/types.generated.ts";
import { lsnDiff } from "../../promotion/lsn.ts";
import type { Promoter, ReplicaState } from "../../promotion/promoter.ts";

/** A connection Secret's `uri` is re-read this often (it only matters for measuring lag). */
const secretTtlMs = 30_000;

interface Reading {
  /** The last completed reading and when it completed. */
  state: ReplicaState | undefined;
  at: number | undefined;
  inFlight: boolean;
}

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
 * Replication lag of every replica region behind the primary's WAL position.
 *
 * Measured per database server, not per app: each server (connection URI) is read at most once
 * per `refreshMs` however many apps share it, in the background, and a reconcile only looks at
 * the last reading. So a reconcile never waits on a database (a frozen server cannot stall health
 * checking), and 1,000 apps on one database pair cost two queries per interval. A reading older
 * than `staleMs` counts as unknown, which holds a failover back on the lag guard.
 *
 * The primary's position is remembered per app from the last time it could be read, so while the
 * primary is unreachable the lag still measures what a failover would lose (what the replica had
 * not replayed when the primary was last seen) rather than becoming unknown.
 */
export class ReplicationLagTracker {
  private readonly primaries = new Map<string, PrimaryPositions>();
  private readonly readings = new Map<string, Reading>();
  private readonly uris = new Map<string, { at: number; uri: string | undefined; reading: boolean }>();
  private readonly hub: KubeConfig;
  private readonly now: () => number;

  constructor(hub: KubeConfig, now: () => number = Date.now) {
    this.hub = hub;
    this.now = now;
  }

  measure(
    promoter: Promoter,
    appKey: string,
    app: RegionalApp,
    primary: string,
    nowMs: number,
    refreshMs: number,
  ): Map<string, ReplicaLag> {
    const staleMs = 3 * refreshMs;
    const state = (region: string) => {
      const uri = this.uriOf(app, region);
      return uri === undefined ? undefined : this.latest(promoter, uri, refreshMs, staleMs);
    };
    const lag = new Map<string, ReplicaLag>();
    if (!promoter.reportsPositions) return lag; // cloudnative-pg and job report no WAL positions
    const positions = this.primaries.get(appKey) ?? new PrimaryPositions();
    this.primaries.set(appKey, positions);
    const primaryState = state(primary);
    if (primaryState && !primaryState.inRecovery) positions.record(primaryState.lsn, nowMs);
    if (positions.latest === undefined) return lag;
    for (const region of app.spec.regions) {
      if (region.name === primary) continue;
      const replica = state(region.name);
      const replicaLag = replica?.inRecovery ? positions.lagOf(replica.lsn, nowMs) : undefined;
      if (replicaLag) lag.set(region.name, replicaLag);
    }
    return lag;
  }

  forget(appKey: string): void {
    this.primaries.delete(appKey);
  }

  /** The last reading of a server if fresh enough; starts a new one when due. */
  private latest(
    promoter: Promoter,
    uri: string,
    refreshMs: number,
    staleMs: number,
  ): ReplicaState | undefined {
    const now = this.now();
    let r = this.readings.get(uri);
    if (!r) {
      r = { state: undefined, at: undefined, inFlight: false };
      this.readings.set(uri, r);
    }
    if (!r.inFlight && (r.at === undefined || now - r.at >= refreshMs)) {
      const reading = r;
      reading.inFlight = true;
      void promoter
        .state({ region: "", uri })
        .catch(() => undefined)
        .then((state) => {
          Object.assign(reading, { state, at: this.now(), inFlight: false });
        });
    }
    return r.at !== undefined && now - r.at < staleMs ? r.state : undefined;
  }

  /** The region's connection URI from its Secret on the hub, re-read every 30 s in the background. */
  private uriOf(app: RegionalApp, region: string): string | undefined {
    const secretName = app.spec.regions.find((r) => r.name === region)?.database?.connectionSecretRef?.name;
    if (!secretName) return undefined;
    const namespace = app.metadata?.namespace ?? "";
    const key = `${namespace}/${secretName}`;
    const now = this.now();
    let entry = this.uris.get(key);
    if (!entry || (!entry.reading && now - entry.at >= secretTtlMs)) {
      const next = { at: entry?.at ?? 0, uri: entry?.uri, reading: true };
      this.uris.set(key, next);
      entry = next;
      void this.hub
        .makeApiClient(CoreV1Api)
        .readNamespacedSecret({ name: secretName, namespace })
        .then((s) => (s.data?.uri ? Buffer.from(s.data.uri, "base64").toString("utf8") : undefined))
        .catch(() => undefined)
        .then((uri) => Object.assign(next, { uri, at: this.now(), reading: false }));
    }
    return entry.uri;
  }
}
