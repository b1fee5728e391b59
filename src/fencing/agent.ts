// `meridian agent`: one per member cluster. It watches the fencing Leases the hub writes in its
// cluster and fences its own region when the hub stops renewing (unless the failsafe holds) or
// hands the app to another region. Design and deployment: docs/agent.md.

import type { Server } from "node:http";
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { Reason } from "../api/reasons.ts";
import type { Promoter } from "../promotion/promoter.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { EventRecorder, type EventSubject } from "../runtime/events.ts";
import { startProbeServer } from "../runtime/http-server.ts";
import { Informer } from "../runtime/informer.ts";
import type { Logger } from "../runtime/logger.ts";
import {
  decideFence,
  type FenceDecision,
  FenceReason,
  type LeaseFacts,
  leaseLapsed,
  type PeerAnswer,
} from "./agent/decide.ts";
import { RegionFencer } from "./agent/fence-region.ts";
import { askPeer, HubProber } from "./agent/hub-reachability.ts";
import { type LeaseView, leaseView } from "./agent/lease-view.ts";
import { type AgentMetrics, createAgentMetrics } from "./agent/metrics.ts";
import { startPeerServer } from "./agent/peer-server.ts";
import { appLabel } from "./lease.ts";

export interface AgentOptions {
  /** The member cluster this agent guards. */
  kc: KubeConfig;
  region: string;
  hubUrl: string;
  peers: string[];
  listenPort: number;
  metricsPort: number;
  /** How often Leases are checked and the hub probed. */
  checkIntervalMs: number;
  hubTimeoutMs: number;
  peerTimeoutMs: number;
  promoter: Promoter;
  log: Logger;
  /** Names this process in Events (reportingInstance). */
  instance: string;
}

/** What the agent remembers per Lease between checks. */
interface LeaseState {
  /** The newest epoch seen with this region as holder: a newer one for someone else is a handover. */
  ownEpoch: number | undefined;
  /** The epoch of the last completed fence: nothing more to do until the epoch grows. */
  fencedEpoch: number | undefined;
  fencing: boolean;
  failures: number;
  retryAt: number;
  lastReason: FenceReason | undefined;
}

const leaseKey = (v: LeaseView) => `${v.namespace}/${v.name}`;

export class Agent {
  readonly #opts: AgentOptions;
  readonly #log: Logger;
  readonly #metrics: AgentMetrics = createAgentMetrics();
  readonly #leases: Informer<V1Lease, LeaseView>;
  readonly #hub: HubProber;
  readonly #fencer: RegionFencer;
  readonly #events: EventRecorder<Reason>;
  readonly #states = new Map<string, LeaseState>();
  readonly #servers: Server[] = [];
  #timer: NodeJS.Timeout | undefined;
  #checking = false;
  #checkAgain = false;

  constructor(opts: AgentOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ region: opts.region });
    const coordination = opts.kc.makeApiClient(CoordinationV1Api);
    this.#leases = new Informer<V1Lease, LeaseView>({
      kc: opts.kc,
      path: `/apis/coordination.k8s.io/v1/leases?labelSelector=${encodeURIComponent(appLabel)}`,
      list: () => coordination.listLeaseForAllNamespaces({ labelSelector: appLabel }),
      log: this.#log.child({ watch: "Lease" }),
      project: leaseView,
      // Short, so that after the member API server comes back the agent relists soon.
      maxBackoffMs: 5000,
    });
    this.#hub = new HubProber({
      hubUrl: opts.hubUrl,
      intervalMs: opts.checkIntervalMs,
      timeoutMs: opts.hubTimeoutMs,
      onResult: (reachable) => this.#metrics.hubReachable.set(reachable ? 1 : 0),
    });
    this.#fencer = new RegionFencer(opts.kc, opts.region, opts.promoter);
    this.#events = new EventRecorder(opts.kc, {
      controller: "meridian.dev/agent",
      instance: opts.instance,
      log: this.#log,
    });
  }

  async start(): Promise<void> {
    this.#leases.onChange((view) => this.#observe(view));
    this.#leases.onDelete((view) => this.#states.delete(leaseKey(view)));
    await this.#hub.start();
    this.#servers.push(
      await startPeerServer(this.#opts.listenPort, () => this.#hub.reachable()),
      await startProbeServer({
        port: this.#opts.metricsPort,
        registry: this.#metrics.registry,
        ready: () => this.#leases.hasSynced,
      }),
    );
    await this.#leases.start();
    this.#timer = setInterval(() => void this.#check(), this.#opts.checkIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#hub.stop();
    await this.#leases.stop();
    await Promise.all(this.#servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  /** Every Lease change: remember our own epoch, and check at once (a handover fences now). */
  #observe(view: LeaseView): void {
    const state = this.#state(view);
    if (view.holder === this.#opts.region) {
      state.ownEpoch = Math.max(state.ownEpoch ?? view.epoch, view.epoch);
      this.#fencer.rememberDatabase(view).catch((err: Error) => {
        this.#log.debug({ lease: leaseKey(view), err: err.message }, "database Secret not readable yet");
      });
    }
    void this.#check();
  }

  /** One pass over every Lease; peers are asked only when a Lease of ours has lapsed. */
  async #check(): Promise<void> {
    if (this.#checking) {
      this.#checkAgain = true;
      return;
    }
    this.#checking = true;
    try {
      do {
        this.#checkAgain = false;
        const now = Date.now();
        const pending = this.#leases.list().filter((v) => this.#mayAct(v, now));
        const needPeers = pending.some((v) => leaseLapsed(this.#facts(v), now));
        const peers = needPeers
          ? await Promise.all(this.#opts.peers.map((p) => askPeer(p, this.#opts.peerTimeoutMs)))
          : [];
        // No fresh probe of our own counts as reaching the hub: an unknown never keeps a primary up.
        const selfReachesHub = this.#hub.reachable() ?? true;
        for (const view of pending) this.#decide(view, peers, selfReachesHub, now);
      } while (this.#checkAgain);
    } finally {
      this.#checking = false;
    }
  }

  /** False while a fence runs, during a retry backoff, or when this epoch is already fenced. */
  #mayAct(view: LeaseView, now: number): boolean {
    const state = this.#state(view);
    if (state.fencing || now < state.retryAt) return false;
    return state.fencedEpoch === undefined || view.epoch > state.fencedEpoch;
  }

  #decide(view: LeaseView, peers: PeerAnswer[], selfReachesHub: boolean, now: number): void {
    const state = this.#state(view);
    const decision = decideFence(this.#facts(view), peers, selfReachesHub, now);
    if (decision.reason !== state.lastReason) {
      state.lastReason = decision.reason;
      this.#onNewDecision(view, decision, peers);
    }
    if (decision.fence) void this.#fence(view, state, decision);
  }

  #onNewDecision(view: LeaseView, decision: FenceDecision, peers: PeerAnswer[]): void {
    const fields = { lease: leaseKey(view), epoch: view.epoch, holder: view.holder, ...decision, peers };
    if (decision.reason !== FenceReason.HubDownEverywhere) {
      this.#log.info(fields, "fencing decision");
      return;
    }
    const note = `Lease lapsed, but all ${peers.length} peer agents confirm the hub is unreachable: ${this.#opts.region} keeps serving (failsafe) until one of them reaches the hub`;
    this.#log.warn(fields, note);
    void this.#events.record(
      this.#subject(view),
      "Warning",
      Reason.FailsafeKeepsPrimary,
      "KeepServing",
      note,
    );
  }

  async #fence(view: LeaseView, state: LeaseState, decision: FenceDecision): Promise<void> {
    state.fencing = true;
    const log = this.#log.child({ lease: leaseKey(view), app: view.app, epoch: view.epoch });
    try {
      const done = await this.#fencer.fence(view);
      state.fencedEpoch = view.epoch;
      state.failures = 0;
      this.#metrics.fenced.inc({ app: view.app });
      const note = `${decision.reason}: ${done.join("; ") || "nothing named on the Lease to fence"}`;
      log.info({ reason: decision.reason, fenced: done }, "region fenced");
      await this.#events.record(this.#subject(view), "Normal", Reason.RegionFenced, "Fence", note);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retryInMs = backoffDelay(state.failures++, { baseMs: 500, maxMs: 30_000 });
      state.retryAt = Date.now() + retryInMs;
      log.warn({ reason: decision.reason, err: message, retryInMs }, "fence failed; retrying");
      await this.#events.record(
        this.#subject(view),
        "Warning",
        Reason.RegionFenceFailed,
        "Fence",
        `${decision.reason}: ${message}`,
      );
    } finally {
      state.fencing = false;
    }
  }

  #facts(view: LeaseView): LeaseFacts {
    return {
      region: this.#opts.region,
      holder: view.holder,
      epoch: view.epoch,
      renewTimeMs: view.renewTimeMs,
      renewDeadlineMs: view.renewDeadlineMs,
      ownEpoch: this.#state(view).ownEpoch,
    };
  }

  #state(view: LeaseView): LeaseState {
    const key = leaseKey(view);
    let state = this.#states.get(key);
    if (!state) {
      state = {
        ownEpoch: undefined,
        fencedEpoch: undefined,
        fencing: false,
        failures: 0,
        retryAt: 0,
        lastReason: undefined,
      };
      this.#states.set(key, state);
    }
    return state;
  }

  #subject(view: LeaseView): EventSubject {
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      name: view.name,
      namespace: view.namespace,
      uid: view.uid,
    };
  }
}
