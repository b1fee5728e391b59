import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { describeApiError, isConflict, isNotFound } from "./api-errors.ts";
import { MicroTime } from "./micro-time.ts";

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  /** Unique per process: pod name plus a random suffix. */
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export const leaderElectionDefaults = {
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
};

export interface LeadershipCallbacks {
  /** Called on becoming leader; `signal` aborts the moment leadership is lost or released. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading(): void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, the protocol client-go uses: a candidate
 * takes the Lease when it is free or its holder has not renewed it for a lease duration (measured
 * on our own clock from when we last saw it change, so clock skew between replicas cannot make a
 * live leader look expired); every write carries the resourceVersion it read, so two candidates
 * can never both win. A leader that cannot renew within the renew deadline stops acting at once,
 * before the lease can expire for the others.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly cfg: LeaderElectionConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private observed: { holder: string; renewTime: string; at: number } | undefined;
  private leading: AbortController | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private deadline: NodeJS.Timeout | undefined;

  constructor(kc: KubeConfig, cfg: LeaderElectionConfig, log: Logger, now: () => number = Date.now) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.cfg = cfg;
    this.log = log.child({ lease: `${cfg.namespace}/${cfg.name}`, identity: cfg.identity });
    this.now = now;
  }

  get isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** Campaigns and renews until stop(); may lead several times if leadership is lost and regained. */
  async run(callbacks: LeadershipCallbacks): Promise<void> {
    while (!this.stopped) {
      // The deadline counts from when the request was sent: a renewal that took long to arrive
      // may already be close to expiry for the other candidates.
      const sentAt = this.now();
      const ok = await this.tryAcquireOrRenew(sentAt).catch((err: unknown) => {
        this.log.warn({ err: describeApiError(err) }, "leader election: lease request failed");
        return false;
      });
      if (this.stopped) break;
      if (ok) this.renewed(sentAt, callbacks);
      await this.sleep(this.cfg.retryPeriodSeconds * 1000);
    }
    if (this.leading) {
      await this.release().catch((err: Error) =>
        this.log.warn({ err: err.message }, "leader election: release failed"),
      );
      this.loseLeadership(callbacks);
    }
  }

  /**
   * Starts leading if we were not, and re-arms the renew deadline. The deadline is a timer, not a
   * check in the loop, so a renewal hanging on a partitioned API server still stops all work in time.
   */
  private renewed(sentAt: number, callbacks: LeadershipCallbacks): void {
    if (!this.leading) {
      this.leading = new AbortController();
      this.log.info("leader election: became leader");
      callbacks.onStartedLeading(this.leading.signal);
    }
    clearTimeout(this.deadline);
    const remaining = sentAt + this.cfg.renewDeadlineSeconds * 1000 - this.now();
    this.deadline = setTimeout(
      () => {
        this.log.error("leader election: could not renew within the renew deadline; stopping all work");
        this.loseLeadership(callbacks);
      },
      Math.max(0, remaining),
    );
    this.deadline.unref();
  }

  /** Ends the campaign; a leader hands the Lease back so a standby takes over without waiting. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private loseLeadership(callbacks: LeadershipCallbacks): void {
    clearTimeout(this.deadline);
    if (!this.leading) return;
    this.leading.abort();
    this.leading = undefined;
    callbacks.onStoppedLeading();
  }

  private async tryAcquireOrRenew(nowMs: number): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.cfg;
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.api.createNamespacedLease({ namespace, body: this.leaseFor(undefined, nowMs) });
        return true;
      } catch (createErr) {
        if (isConflict(createErr)) return false; // another candidate created it first
        throw createErr;
      }
    }
    const holder = lease.spec?.holderIdentity ?? "";
    const renewTime = String(lease.spec?.renewTime ?? "");
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
      this.observed = { holder, renewTime, at: nowMs };
    }
    const expired =
      nowMs - this.observed.at >= (lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder !== "" && holder !== identity && !expired) return false;
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: this.leaseFor(lease, nowMs) });
      return true;
    } catch (err) {
      if (isConflict(err)) return false; // someone else wrote first; read again next round
      throw err;
    }
  }

  /** The Lease as we write it: held by us, or, on release, by nobody for one second. */
  private leaseFor(current: V1Lease | undefined, nowMs: number, release = false): V1Lease {
    const { namespace, name, identity, leaseDurationSeconds } = this.cfg;
    const now = new MicroTime(nowMs);
    const taking = !release && current?.spec?.holderIdentity !== identity;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { ...current?.metadata, name, namespace },
      spec: {
        holderIdentity: release ? "" : identity,
        leaseDurationSeconds: release ? 1 : leaseDurationSeconds,
        renewTime: now,
        acquireTime: taking ? now : new MicroTime(current?.spec?.acquireTime ?? nowMs),
        leaseTransitions: (current?.spec?.leaseTransitions ?? 0) + (taking && current ? 1 : 0),
      },
    };
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.cfg;
    const lease = await this.api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== identity) return;
    await this.api.replaceNamespacedLease({
      name,
      namespace,
      body: this.leaseFor(lease, this.now(), true),
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
