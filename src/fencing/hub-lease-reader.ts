// The hub's eyes on the region Leases: a fresh list (a consistent read, never the watch cache)
// every hubReadIntervalMs, timed on the operator's own monotonic clock and fed to LeaseObservations.
// It runs only while this replica leads, and starts from nothing each time: a new leader proves
// expiry and votes from its own reads, never from what a previous leader saw.
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../runtime/logger.ts";
import { LeaseObservations, type RegionLeaseRecord } from "./protocol/lease-observations.ts";
import { hubReadIntervalMs } from "./protocol/timing.ts";
import { readRegionLease, regionLeaseLabel } from "./region-lease.ts";

/** How long a read may take before it counts as failed (and breaks the run of observations). */
const readTimeoutMs = 1000;
/** History kept for vote proofs: longer than any voter window. */
const retainMs = 120_000;

export class RegionLeaseReader {
  readonly observations = new LeaseObservations({
    maxGapMs: 3 * hubReadIntervalMs + readTimeoutMs,
    retainMs,
  });
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #log: Logger;
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #versions = "";
  readonly #onChange: (() => void)[] = [];

  constructor(
    hub: KubeConfig,
    namespace: string,
    log: Logger,
    clock: () => number = () => performance.now(),
  ) {
    this.#api = hub.makeApiClient(CoordinationV1Api);
    this.#namespace = namespace;
    this.#log = log.child({ component: "region-leases", namespace });
    this.#clock = clock;
  }

  /** The operator's monotonic clock, the one every observation is measured on. */
  now(): number {
    return this.#clock();
  }

  /**
   * Calls `listener` after a fresh read in which some region Lease was written (or appeared or went)
   * since the previous read: a wake-up for whoever waits on the Leases, who then decides from
   * `observations` as always.
   */
  onChange(listener: () => void): void {
    this.#onChange.push(listener);
  }

  start(): void {
    void this.#read();
    this.#timer = setInterval(() => void this.#read(), hubReadIntervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    const sentAt = this.#clock();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${readTimeoutMs} ms`)), readTimeoutMs);
      });
      const list = await Promise.race([
        this.#api.listNamespacedLease({ namespace: this.#namespace, labelSelector: regionLeaseLabel }),
        timeout,
      ]);
      const leases = new Map<string, RegionLeaseRecord>();
      for (const lease of list.items) {
        const read = readRegionLease(lease);
        if (read) leases.set(read.cluster, read.record);
      }
      this.observations.record({ sentAt, receivedAt: this.#clock(), leases });
      const versions = [...leases]
        .map(([cluster, r]) => `${cluster}=${r.resourceVersion}`)
        .sort()
        .join();
      if (versions !== this.#versions) {
        this.#versions = versions;
        for (const listener of this.#onChange) listener();
      }
    } catch (err) {
      this.observations.failed();
      this.#log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not read the region Leases",
      );
    } finally {
      clearTimeout(timer);
      this.#reading = false;
    }
  }
}
