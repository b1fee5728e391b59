// `meridian agent`: one per member cluster. It holds its region's Lease in the hub (renewing it by
// compare-and-swap), watches the apps it guards in the hub, asks its peers for promises when it
// cannot renew, and fences its own region's apps when the protocol says so. docs/fencing.md.
import type { Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { apiVersion } from "../api/group.ts";
import { Reason } from "../api/reasons.ts";
import type { FailoverPolicy, MemberCluster, RegionalApp } from "../api/types.generated.ts";
import { meridianInformer } from "../controllers/hub-informers.ts";
import type { Promoter } from "../promotion/promoter.ts";
import { describeApiError } from "../runtime/api-errors.ts";
import { EventRecorder } from "../runtime/events.ts";
import { startProbeServer } from "../runtime/http-server.ts";
import type { Informer } from "../runtime/informer.ts";
import type { Logger } from "../runtime/logger.ts";
import { appKey, type GuardedApp, guardedApps, type PersistedState } from "./agent/assignments.ts";
import { RegionFencer } from "./agent/fence-region.ts";
import { FenceLoop, realScheduler, type Scheduler } from "./agent/loop.ts";
import { type AgentMetrics, createAgentMetrics } from "./agent/metrics.ts";
import { askPromise, startPeerServer } from "./agent/peer-server.ts";
import { RegionLeaseClient } from "./agent/region-lease-client.ts";
import { StateStore } from "./agent/state-store.ts";
import { FenceReason } from "./protocol/agent-decision.ts";

export interface AgentOptions {
  /** The member cluster: workloads, database Secrets, the persisted state. */
  member: KubeConfig;
  /** The hub: the region Lease, RegionalApps, FailoverPolicies, MemberClusters, Events. */
  hub: KubeConfig;
  /** The MemberCluster this agent guards. */
  cluster: string;
  /** Where region Leases live in the hub. */
  hubNamespace: string;
  /** Where the agent's ConfigMap lives in the member cluster. */
  stateNamespace: string;
  peers: string[];
  listenPort: number;
  metricsPort: number;
  checkIntervalMs: number;
  peerTimeoutMs?: number;
  promoter: Promoter;
  log: Logger;
  /** Names this process in Events (reportingInstance). */
  instance: string;
  scheduler?: Scheduler;
}

/** How often the remembered database Secrets are read again, and the persisted state checked. */
const refreshMs = 30_000;

export class Agent {
  readonly #o: AgentOptions;
  readonly #log: Logger;
  readonly #apps: Informer<RegionalApp>;
  readonly #policies: Informer<FailoverPolicy>;
  readonly #members: Informer<MemberCluster>;
  readonly #lease: RegionLeaseClient;
  readonly #store: StateStore;
  readonly #fencer: RegionFencer;
  readonly #events: EventRecorder<Reason>;
  readonly #loop: FenceLoop;
  readonly #metrics: AgentMetrics;
  readonly #servers: Server[] = [];
  #persisted: PersistedState | undefined;
  #current: { apps: GuardedApp[]; members: string[] } | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;

  constructor(opts: AgentOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ cluster: opts.cluster });
    this.#apps = meridianInformer<RegionalApp>(opts.hub, "regionalapps", this.#log);
    this.#policies = meridianInformer<FailoverPolicy>(opts.hub, "failoverpolicies", this.#log);
    this.#members = meridianInformer<MemberCluster>(opts.hub, "memberclusters", this.#log);
    this.#lease = new RegionLeaseClient(opts.hub, opts.cluster, opts.hubNamespace);
    this.#store = new StateStore(opts.member, opts.cluster, opts.stateNamespace);
    this.#fencer = new RegionFencer(opts.member, opts.promoter);
    this.#events = new EventRecorder(opts.hub, {
      controller: "meridian.dev/agent",
      instance: opts.instance,
      log: this.#log,
    });
    this.#loop = new FenceLoop({
      self: opts.cluster,
      peers: opts.peers,
      checkIntervalMs: opts.checkIntervalMs,
      scheduler: opts.scheduler ?? realScheduler,
      peerTimeoutMs: opts.peerTimeoutMs,
      apps: () => this.#view().apps,
      members: () => this.#view().members,
      io: {
        renew: (content, signal) => this.#lease.renew(content, signal),
        askPromise,
        fence: (app, scope, reason, epoch) => this.#fencer.fence(app, scope, reason, epoch),
      },
      hooks: {
        onRenewal: (result, err) => {
          this.#metrics.renewals.inc({ result });
          if (result !== "success")
            this.#log.debug({ result, err: err && describeApiError(err) }, "region Lease not renewed");
        },
        onDecision: (app, decision, previous) => this.#onDecision(app, decision, previous),
        onFenced: (app, decision, epoch, detail) => {
          this.#metrics.fenced.inc({ app: appKey(app) });
          this.#log.info({ app: appKey(app), ...decision, epoch, detail }, "region fenced");
          this.#event(app, "Normal", Reason.RegionFenced, `${decision.reason}: ${detail}`);
        },
        onFenceFailed: (app, decision, epoch, error, retryInMs) => {
          this.#log.warn(
            { app: appKey(app), ...decision, epoch, err: error, retryInMs },
            "fence failed; retrying",
          );
          this.#event(app, "Warning", Reason.RegionFenceFailed, `${decision.reason}: ${error}`);
        },
      },
    });
    this.#metrics = createAgentMetrics(this.#loop);
  }

  get hubSynced(): boolean {
    return this.#apps.hasSynced && this.#policies.hasSynced && this.#members.hasSynced;
  }

  async start(): Promise<void> {
    try {
      this.#persisted = await this.#store.load();
      if (this.#persisted) {
        this.#log.info(
          { apps: this.#persisted.apps.map(appKey), members: this.#persisted.members },
          "persisted assignments loaded",
        );
        for (const app of this.#persisted.apps) this.#remember(app);
      }
    } catch (err) {
      this.#log.warn(
        { err: describeApiError(err), configMap: this.#store.name },
        "cannot read the persisted state",
      );
    }
    const changed = () => this.#hubChanged();
    this.#apps.onChange(changed);
    this.#apps.onDelete(changed);
    this.#policies.onChange(changed);
    this.#policies.onDelete(changed);
    this.#members.onChange(changed);
    this.#members.onDelete(changed);
    this.#servers.push(
      await startPeerServer(this.#o.listenPort, () => this.#loop.givePromise()),
      await startProbeServer({
        port: this.#o.metricsPort,
        registry: this.#metrics.registry,
        ready: () => this.hubSynced || this.#persisted !== undefined,
      }),
    );
    this.#loop.start();
    // Not awaited: with the hub out of reach a first list may hang, and the loop runs meanwhile.
    for (const informer of [this.#apps, this.#policies, this.#members]) {
      void informer.start().then(() => this.#hubChanged());
    }
    this.#refreshTimer = setInterval(() => {
      for (const app of this.#view().apps) this.#remember(app);
      void this.#persist();
    }, refreshMs);
    this.#refreshTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#refreshTimer);
    this.#loop.stop();
    await Promise.all([this.#apps.stop(), this.#policies.stop(), this.#members.stop()]);
    await Promise.all(this.#servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  /** What the loop acts on: the hub's caches once all three synced, the persisted state before. */
  #view(): { apps: GuardedApp[]; members: string[] } {
    return this.#current ?? this.#persisted ?? { apps: [], members: [] };
  }

  #hubChanged(): void {
    if (!this.hubSynced) return;
    const before = new Map((this.#current?.apps ?? []).map((a) => [appKey(a), JSON.stringify(a)]));
    const apps = guardedApps(this.#apps.list(), this.#policies.list(), this.#o.cluster);
    const members = this.#members
      .list()
      .map((m) => m.metadata?.name ?? "")
      .filter(Boolean)
      .sort();
    this.#current = { apps, members };
    for (const app of apps) if (before.get(appKey(app)) !== JSON.stringify(app)) this.#remember(app);
    void this.#persist();
    this.#loop.check(); // a handover fences at once
  }

  #remember(app: GuardedApp): void {
    this.#fencer.remember(app).catch((err: Error) => {
      this.#log.debug({ app: appKey(app), err: err.message }, "database Secret not readable yet");
    });
  }

  async #persist(): Promise<void> {
    if (!this.#current) return;
    const state: PersistedState = { version: 1, members: this.#current.members, apps: this.#current.apps };
    try {
      if (await this.#store.save(state))
        this.#log.debug({ configMap: this.#store.name }, "assignments persisted");
    } catch (err) {
      this.#log.warn(
        { err: describeApiError(err), configMap: this.#store.name },
        "cannot persist the assignments",
      );
    }
  }

  #onDecision(app: GuardedApp, decision: { fence: string; reason: FenceReason }, previous?: FenceReason) {
    const fields = { app: appKey(app), ...decision, previous, assignment: app.assignment };
    if (decision.reason !== FenceReason.FailsafePromised) {
      this.#log.info(fields, "fencing decision");
      return;
    }
    const note = `region Lease not renewed within the renew deadline, but peers promised that the hub cannot form a majority: ${this.#o.cluster} keeps serving (failsafe)`;
    this.#log.warn({ ...fields, promises: this.#loop.promises() }, note);
    this.#event(app, "Warning", Reason.FailsafeKeepsPrimary, note);
  }

  /** Events are about the RegionalApp, in its namespace of the hub (best effort: the hub may be unreachable). */
  #event(app: GuardedApp, type: "Normal" | "Warning", reason: Reason, note: string): void {
    const subject = {
      apiVersion,
      kind: "RegionalApp",
      name: app.name,
      namespace: app.namespace,
      uid: app.uid,
    };
    void this.#events.record(subject, type, reason, "Fence", `${this.#o.cluster}: ${note}`);
  }
}
