// The agent's protocol loop, with every I/O and the clock injected: it renews the region Lease,
// asks peers for promises when renewals fail, answers their questions, and decides per app whether
// to fence. The rules themselves are the pure functions of src/fencing/protocol/; this is the same
// behaviour as agentTick/ask in test/unit/fencing/model/world.ts, on real timers.

import { crashPoint } from "../../runtime/crash-point.ts";
import { decideAppFence, type FenceDecision, FenceReason } from "../protocol/agent-decision.ts";
import {
  coveringPeers,
  type FailsafePromise,
  mustAbstain,
  promiseToGive,
  type VoteHistory,
} from "../protocol/promises.ts";
import { type AgentCadence, agentCadence } from "../protocol/timing.ts";
import type { RegionLeaseContent } from "../region-lease.ts";
import { appKey, fenceEpoch, type GuardedApp } from "./assignments.ts";
import { WorkloadOnlyFailure } from "./fence-region.ts";

/** The agent's own monotonic clock and timers (performance.now and setTimeout; a fake in tests). */
export interface Scheduler {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** A peer's answer to GET /v1/promise when it gives one. */
export interface PeerPromise {
  cluster: string;
  quietMs: number;
  holdMs: number;
}

export type RenewalResult = "success" | "conflict" | "error" | "timeout";

export interface LoopIo {
  /** One compare-and-swap renewal of the region Lease; rejects on any failure (a 409 after re-reading it). */
  renew(content: RegionLeaseContent, signal: AbortSignal): Promise<void>;
  /** GET <peer>/v1/promise: the promise, or undefined when the peer refuses. */
  askPromise(peer: string, signal: AbortSignal): Promise<PeerPromise | undefined>;
  /** Fences `app` in this region; resolves with what was done, rejects saying what failed. */
  fence(app: GuardedApp, scope: "app" | "database", reason: FenceReason, epoch: number): Promise<string>;
}

export interface LoopHooks {
  onRenewal?(result: RenewalResult, error?: unknown): void;
  onDecision?(app: GuardedApp, decision: FenceDecision, previous: FenceReason | undefined): void;
  onFenced?(app: GuardedApp, decision: FenceDecision, epoch: number, detail: string): void;
  onFenceFailed?(
    app: GuardedApp,
    decision: FenceDecision,
    epoch: number,
    error: string,
    retryInMs: number,
  ): void;
}

export interface FenceLoopOptions {
  self: string;
  peers: readonly string[];
  checkIntervalMs: number;
  scheduler: Scheduler;
  io: LoopIo;
  hooks?: LoopHooks;
  /** The apps guarded now (from the hub's caches, or the persisted state before they sync). */
  apps: () => readonly GuardedApp[];
  /** The member clusters known as voters now, sorted. */
  members: () => readonly string[];
  /** How long a peer may take to answer. Default 1 s. */
  peerTimeoutMs?: number;
  /** How often a fence already done for a lapsed renewal is made again (something may have reopened it). */
  reverifyMs?: number;
}

/** How often peers are asked while renewals fail (as in the model). */
export const askEveryMs = 500;

interface AppState {
  reason: FenceReason | undefined;
  fencing: boolean;
  failures: number;
  retryAt: number;
  /** The fence last completed: scope/reason/epoch, and when. */
  done: string | undefined;
  doneAt: number;
}

interface Attempt {
  sentAt: number;
  done: boolean;
}

export class FenceLoop {
  readonly #o: FenceLoopOptions;
  readonly #clock: Scheduler;
  readonly startedAt: number;
  #lastRenewalSentAt: number | undefined;
  #lastVoteSentAt: number | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #firstRenewalPending = true;
  #abstainUntil = 0;
  #inflight: Attempt | undefined;
  #advertised: string[] | undefined;
  #promises: FailsafePromise[] = [];
  #lastAskAt = Number.NEGATIVE_INFINITY;
  readonly #asking = new Set<string>();
  /** Handovers fenced: app → epoch, advertised on the Lease while the handover is in status. */
  readonly #acked = new Map<string, number>();
  readonly #states = new Map<string, AppState>();
  #cancelRenew: (() => void) | undefined;
  #cancelCheck: (() => void) | undefined;
  #stopped = true;

  constructor(opts: FenceLoopOptions) {
    this.#o = opts;
    this.#clock = opts.scheduler;
    this.startedAt = this.#clock.now();
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#renew();
    const loop = () => {
      this.check();
      if (!this.#stopped) this.#cancelCheck = this.#clock.after(this.#o.checkIntervalMs, loop);
    };
    loop();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelRenew?.();
    this.#cancelCheck?.();
  }

  cadence(): AgentCadence {
    return agentCadence(this.#o.apps().map((a) => a.timing));
  }

  #history(): VoteHistory {
    return {
      lastVoteSentAt: this.#lastVoteSentAt,
      lastRenewalSentAt: this.#lastRenewalSentAt,
      startedAt: this.startedAt,
    };
  }

  /** A peer asks for a promise (GET /v1/promise): given, it binds this agent to abstain for holdMs. */
  givePromise(): PeerPromise | { refused: string } {
    const now = this.#clock.now();
    const given = promiseToGive(this.#history(), this.cadence(), now);
    if ("refused" in given) return given;
    this.#abstainUntil = Math.max(this.#abstainUntil, now + given.holdMs);
    return { cluster: this.#o.self, ...given };
  }

  // --- renewals -------------------------------------------------------------------------------

  #scheduleRenewal(): void {
    if (this.#stopped || this.#inflight) return;
    this.#cancelRenew?.();
    const due = this.#lastAttemptAt + this.cadence().renewIntervalMs;
    this.#cancelRenew = this.#clock.after(Math.max(0, due - this.#clock.now()), () => this.#renew());
  }

  /** Renews at once unless a renewal is in flight (used after a handover was fenced, to acknowledge it). */
  renewNow(): void {
    if (!this.#stopped && !this.#inflight) this.#renew();
  }

  #renew(): void {
    if (this.#stopped || this.#inflight) return;
    this.#cancelRenew?.();
    const now = this.#clock.now();
    const cadence = this.cadence();
    const abstain = mustAbstain(this.#history(), cadence, this.#abstainUntil, now);
    if (!abstain) this.#lastVoteSentAt = now;
    this.#lastAttemptAt = now;
    const voters = [...this.#o.members()];
    const content: RegionLeaseContent = { abstain, voters, fencedEpochs: this.fencedEpochs() };
    const attempt: Attempt = { sentAt: now, done: false };
    this.#inflight = attempt;
    const controller = new AbortController();
    const finish = (result: RenewalResult, error?: unknown) => {
      if (attempt.done) return;
      attempt.done = true;
      cancelTimeout();
      // Abandoned: abort the request, so that (the proofs assume) it cannot land later.
      if (result === "timeout") controller.abort(new Error("renewal timed out"));
      if (result === "success") {
        this.#lastRenewalSentAt = Math.max(this.#lastRenewalSentAt ?? attempt.sentAt, attempt.sentAt);
        this.#advertised = voters;
      }
      this.#firstRenewalPending = false;
      this.#inflight = undefined;
      this.#o.hooks?.onRenewal?.(result, error);
      this.#scheduleRenewal();
      if (result !== "success") this.check();
    };
    const cancelTimeout = this.#clock.after(cadence.requestTimeoutMs, () => finish("timeout"));
    this.#o.io.renew(content, controller.signal).then(
      () => finish("success"),
      (err: unknown) => finish(statusOf(err) === 409 ? "conflict" : "error", err),
    );
  }

  /** {"<namespace>/<app>": epoch} for fenced handovers still in the apps' status. */
  fencedEpochs(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const app of this.#o.apps()) {
      const h = app.assignment.handover;
      const key = appKey(app);
      if (h?.fromCluster === this.#o.self && this.#acked.get(key) === h.epoch) out[key] = h.epoch;
    }
    return out;
  }

  // --- promises -------------------------------------------------------------------------------

  #askPeers(now: number, cadence: AgentCadence): void {
    const since = this.#lastRenewalSentAt === undefined ? undefined : now - this.#lastRenewalSentAt;
    if (since !== undefined && since <= 2 * cadence.renewIntervalMs) return;
    if (now - this.#lastAskAt < askEveryMs) return;
    this.#lastAskAt = now;
    for (const peer of this.#o.peers) {
      if (this.#asking.has(peer)) continue;
      this.#asking.add(peer);
      const askedAt = now;
      const controller = new AbortController();
      const cancel = this.#clock.after(this.#o.peerTimeoutMs ?? 1000, () =>
        controller.abort(new Error("peer did not answer in time")),
      );
      this.#o.io
        .askPromise(peer, controller.signal)
        .then((p) => {
          if (!p || p.cluster === this.#o.self || controller.signal.aborted) return;
          if (!(Number.isFinite(p.quietMs) && Number.isFinite(p.holdMs))) return;
          const promise = { peer: p.cluster, askedAt, quietMs: p.quietMs, holdMs: p.holdMs };
          this.#promises = [...this.#promises.filter((x) => x.peer !== p.cluster), promise];
        })
        .catch(() => undefined) // a peer that does not answer gives nothing
        .finally(() => {
          cancel();
          this.#asking.delete(peer);
        });
    }
  }

  // --- decisions ------------------------------------------------------------------------------

  /** One pass over every guarded app: decide, and start the fences needed. */
  check(): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    const cadence = this.cadence();
    this.#askPeers(now, cadence);
    const apps = this.#o.apps();
    const members = this.#o.members();
    const since = this.#lastRenewalSentAt === undefined ? undefined : now - this.#lastRenewalSentAt;
    const present = new Set<string>();
    for (const app of apps) {
      const key = appKey(app);
      present.add(key);
      const decision = decideAppFence({
        self: this.#o.self,
        assignment: app.assignment,
        sinceRenewalMs: since,
        firstRenewalPending: this.#firstRenewalPending,
        timing: app.timing,
        members,
        advertised: this.#advertised,
        covering: coveringPeers(this.#promises, app.timing, now),
      });
      const state = this.#state(key);
      if (decision.reason !== state.reason) {
        const previous = state.reason;
        state.reason = decision.reason;
        this.#o.hooks?.onDecision?.(app, decision, previous);
      }
      if (decision.fence === "none") {
        state.done = undefined;
        continue;
      }
      const epoch = fenceEpoch(app);
      const job = `${decision.fence}/${decision.reason}/${epoch}`;
      if (state.fencing || now < state.retryAt) continue;
      const fresh = now - state.doneAt < (this.#o.reverifyMs ?? 5000);
      if (state.done === job && (decision.reason === FenceReason.HandedOver || fresh)) continue;
      void this.#fence(app, state, decision, epoch, job);
    }
    for (const key of this.#states.keys()) if (!present.has(key)) this.#states.delete(key);
    for (const key of this.#acked.keys()) if (!present.has(key)) this.#acked.delete(key);
  }

  async #fence(app: GuardedApp, state: AppState, decision: FenceDecision, epoch: number, job: string) {
    state.fencing = true;
    const scope = decision.fence as "app" | "database";
    try {
      const detail = await this.#o.io.fence(app, scope, decision.reason, epoch);
      // Fenced, not yet acknowledged: a restarted agent must fence again (idempotent) and acknowledge.
      crashPoint("agent.after-fence");
      state.failures = 0;
      state.done = job;
      state.doneAt = this.#clock.now();
      this.#o.hooks?.onFenced?.(app, decision, epoch, detail);
      if (decision.reason === FenceReason.HandedOver) {
        this.#acked.set(appKey(app), epoch);
        this.renewNow();
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof WorkloadOnlyFailure && decision.reason === FenceReason.HandedOver) {
        // The database refuses writes: acknowledge, so the hub may promote; the workload is retried.
        this.#acked.set(appKey(app), epoch);
        this.renewNow();
      }
      const retryInMs = Math.min(30_000, 500 * 2 ** Math.min(state.failures++, 6));
      state.retryAt = this.#clock.now() + retryInMs;
      this.#o.hooks?.onFenceFailed?.(app, decision, epoch, message, retryInMs);
    } finally {
      state.fencing = false;
    }
  }

  #state(key: string): AppState {
    let s = this.#states.get(key);
    if (!s) {
      s = { reason: undefined, fencing: false, failures: 0, retryAt: 0, done: undefined, doneAt: 0 };
      this.#states.set(key, s);
    }
    return s;
  }

  // --- for metrics and tests ------------------------------------------------------------------

  /** Seconds since the latest successful renewal was sent (since start when there was none). */
  lastRenewalAgeSeconds(): number {
    return (this.#clock.now() - (this.#lastRenewalSentAt ?? this.startedAt)) / 1000;
  }

  abstaining(): boolean {
    return mustAbstain(this.#history(), this.cadence(), this.#abstainUntil, this.#clock.now());
  }

  /** Some app is kept serving only by peers' promises. */
  failsafeEngaged(): boolean {
    return [...this.#states.values()].some((s) => s.reason === FenceReason.FailsafePromised);
  }

  reasonOf(key: string): FenceReason | undefined {
    return this.#states.get(key)?.reason;
  }

  get firstRenewalPending(): boolean {
    return this.#firstRenewalPending;
  }

  promises(): readonly FailsafePromise[] {
    return this.#promises;
  }
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}
