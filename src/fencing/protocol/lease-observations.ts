// The hub's view of the region Leases, built only from its own fresh reads and its own monotonic
// clock. Two facts come out of it, each with a proof that does not compare machines' clocks:
// - how long a region's Lease has certainly gone unrenewed: from the moment the hub first *received*
//   its current resourceVersion (the write happened before that) to the *start* of the latest read
//   that still showed it (the value held at least until then);
// - which agents voted recently: a Lease not abstaining whose resourceVersion differs from the one
//   a read *started* at least `window` ago returned, so the write happened after that start.
// A gap in the hub's reads (its API server down, the hub cut off) restarts every count, the way a
// new leader starts counting when it starts: a hub that could not watch proves nothing about the gap.

/** One region Lease as read from the hub's API server. */
export interface RegionLeaseRecord {
  resourceVersion: string;
  /** The agent is bound by a promise (or cannot vote yet): its renewal is not a vote. */
  abstain: boolean;
  /** The member clusters the agent knew as voters when it wrote (joint majorities, docs/fencing.md). */
  voters: string[] | undefined;
  /** Apps whose handover the agent fenced: "namespace/name" → epoch. */
  fencedEpochs: Record<string, number>;
}

/** One fresh list of every region Lease, keyed by member cluster. */
export interface LeaseSnapshot {
  /** When the read was sent, on the hub's monotonic clock. */
  sentAt: number;
  /** When its answer arrived. */
  receivedAt: number;
  leases: ReadonlyMap<string, RegionLeaseRecord>;
}

export interface LeaseObservationOptions {
  /** Reads further apart than this (start of one to answer of the previous) break the count. */
  maxGapMs: number;
  /** How much history to keep for vote proofs: the longest voter window in use, or more. */
  retainMs: number;
}

export class LeaseObservations {
  readonly #opts: LeaseObservationOptions;
  /** Successful reads, oldest first, within retainMs of the latest. */
  #history: LeaseSnapshot[] = [];
  /** Per cluster: the resourceVersion (undefined: no Lease) and when it was first received. */
  #firstSeen = new Map<string, { resourceVersion: string | undefined; at: number }>();
  /** When the current unbroken run of reads began; undefined before the first or after a failure. */
  #runStartedAt: number | undefined;

  constructor(opts: LeaseObservationOptions) {
    this.#opts = opts;
  }

  /** A read failed: nothing is known about the time until the next one succeeds. */
  failed(): void {
    this.#runStartedAt = undefined;
  }

  record(s: LeaseSnapshot): void {
    const last = this.#history.at(-1);
    const unbroken =
      this.#runStartedAt !== undefined &&
      last !== undefined &&
      s.sentAt - last.receivedAt <= this.#opts.maxGapMs;
    if (!unbroken) {
      this.#runStartedAt = s.receivedAt;
      this.#firstSeen.clear();
    }
    for (const cluster of new Set([...this.#firstSeen.keys(), ...s.leases.keys()])) {
      const rv = s.leases.get(cluster)?.resourceVersion;
      const seen = this.#firstSeen.get(cluster);
      if (!seen || seen.resourceVersion !== rv) {
        // A Lease absent since the run began keeps the run's start as its first sighting.
        const at = !seen && rv === undefined ? (this.#runStartedAt as number) : s.receivedAt;
        this.#firstSeen.set(cluster, { resourceVersion: rv, at });
      }
    }
    this.#history.push(s);
    const keepFrom = s.sentAt - this.#opts.retainMs;
    while (this.#history.length > 2 && (this.#history[1] as LeaseSnapshot).sentAt <= keepFrom)
      this.#history.shift();
  }

  /** The latest read, if any. */
  latest(): LeaseSnapshot | undefined {
    return this.#history.at(-1);
  }

  /**
   * How long `cluster`'s Lease has certainly gone unrenewed; 0 while the hub cannot tell (no
   * unbroken run of reads, or the latest read too old).
   */
  unrenewedForMs(cluster: string, now: number): number {
    const last = this.#history.at(-1);
    if (this.#runStartedAt === undefined || !last || now - last.receivedAt > this.#opts.maxGapMs) return 0;
    const since = this.#firstSeen.get(cluster)?.at ?? this.#runStartedAt;
    return Math.max(0, last.sentAt - since);
  }

  /** The clusters whose agents cast a vote (a renewal not abstaining) within the last `windowMs`. */
  votersWithin(windowMs: number, now: number): Set<string> {
    const last = this.#history.at(-1);
    const base = this.#history.find((s) => s.sentAt >= now - windowMs);
    const voters = new Set<string>();
    if (!last || !base || base === last) return voters;
    for (const [cluster, lease] of last.leases) {
      if (!lease.abstain && base.leases.get(cluster)?.resourceVersion !== lease.resourceVersion)
        voters.add(cluster);
    }
    return voters;
  }
}
