import type { Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Reason } from "../api/reasons.ts";
import type { FailoverPolicy, MemberCluster, RegionalApp, ReplicaPromotion } from "../api/types.generated.ts";
import { createClusterMetrics } from "../clusters/metrics.ts";
import { ClusterRegistry } from "../clusters/registry.ts";
import { FailoverPolicyReconciler } from "../controllers/failoverpolicy/reconciler.ts";
import { meridianInformer } from "../controllers/hub-informers.ts";
import { MemberClusterReconciler } from "../controllers/membercluster/reconciler.ts";
import { DnsSync } from "../controllers/regionalapp/dns-sync.ts";
import { DnsSyncReconciler } from "../controllers/regionalapp/dns-sync-reconciler.ts";
import { createRegionalAppMetrics } from "../controllers/regionalapp/metrics.ts";
import { RegionalAppReconciler } from "../controllers/regionalapp/reconciler.ts";
import { AppsByWorkload } from "../controllers/regionalapp/workload-index.ts";
import { createFailoverMetrics } from "../controllers/replicapromotion/metrics.ts";
import { ReplicaPromotionReconciler } from "../controllers/replicapromotion/reconciler.ts";
import { PromotionWakeups } from "../controllers/replicapromotion/wakeups.ts";
import type { DnsProvider } from "../dns/provider.ts";
import { RegionLeaseReader } from "../fencing/hub-lease-reader.ts";
import type { Promoter } from "../promotion/promoter.ts";
import { Controller } from "../runtime/controller.ts";
import { EventRecorder } from "../runtime/events.ts";
import { startProbeServer } from "../runtime/http-server.ts";
import { keyOf } from "../runtime/keys.ts";
import { type LeaderElectionConfig, LeaderElector } from "../runtime/leader-election.ts";
import type { Logger } from "../runtime/logger.ts";
import { createMetrics } from "../runtime/metrics.ts";
import { StatusWriter } from "../runtime/status-writer.ts";

export interface OperatorConfig {
  hub: KubeConfig;
  log: Logger;
  leaderElection: LeaderElectionConfig;
  metricsPort: number;
  /** How often each member cluster's API server is probed (once per cluster, for all apps). */
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** Reconciles per controller that may run at once. */
  concurrency: number;
  /** The Promoter of a database engine; undefined for `none`. */
  promoterFor(engine: string): Promoter | undefined;
  /** The DnsProvider an app's spec.dns.provider selects. */
  dnsFor(app: RegionalApp): DnsProvider;
}

/**
 * The hub operator: caches of Meridian's kinds (every replica keeps them warm, so a standby takes
 * over at once), and, only while this replica holds the leader Lease, the member-cluster registry
 * and the controllers. Losing the Lease aborts every in-flight reconcile's signal and stops the
 * controllers before anything else is done.
 */
export class Operator {
  readonly metrics = createMetrics();
  private readonly cfg: OperatorConfig;
  private readonly clusterMetrics;
  private readonly appMetrics;
  private readonly informers;
  private readonly elector: LeaderElector;
  private readonly failoverMetrics;
  private readonly appsByWorkload = new AppsByWorkload();
  private active:
    | {
        controllers: Controller[];
        registry: ClusterRegistry;
        regionLeases: RegionLeaseReader;
        mc: Controller;
        apps: Controller;
        promotions: Controller;
        policies: Controller;
        wakeups: PromotionWakeups;
      }
    | undefined;
  private server: Server | undefined;
  private running: Promise<void> | undefined;

  constructor(cfg: OperatorConfig) {
    this.cfg = cfg;
    this.clusterMetrics = createClusterMetrics(this.metrics.registry);
    this.appMetrics = createRegionalAppMetrics(this.metrics.registry);
    this.failoverMetrics = createFailoverMetrics(this.metrics.registry);
    const resyncMs = 60_000;
    this.informers = {
      clusters: meridianInformer<MemberCluster>(cfg.hub, "memberclusters", cfg.log, resyncMs),
      policies: meridianInformer<FailoverPolicy>(cfg.hub, "failoverpolicies", cfg.log, resyncMs),
      apps: meridianInformer<RegionalApp>(cfg.hub, "regionalapps", cfg.log, resyncMs),
      promotions: meridianInformer<ReplicaPromotion>(cfg.hub, "replicapromotions", cfg.log, resyncMs),
    };
    this.informers.clusters.onChange((mc) => this.clusterChanged(mc));
    this.informers.clusters.onDelete((mc) => this.clusterChanged(mc));
    this.informers.apps.onChange((app) => {
      this.appsByWorkload.set(app);
      this.active?.apps.enqueue(keyOf(app));
      this.active?.wakeups.appChanged(app);
    });
    this.informers.apps.onDelete((app) => {
      this.appsByWorkload.delete(app);
      this.active?.apps.enqueue(keyOf(app));
    });
    this.informers.policies.onChange((policy) => {
      this.active?.policies.enqueue(keyOf(policy));
      this.enqueueAppsOf(policy);
    });
    this.informers.promotions.onChange((rp) => {
      this.active?.promotions.enqueue(keyOf(rp));
      this.active?.apps.enqueue(`${rp.metadata?.namespace}/${rp.spec.appRef.name}`);
    });
    this.elector = new LeaderElector(cfg.hub, cfg.leaderElection, cfg.log);
  }

  async start(): Promise<void> {
    const all = Object.values(this.informers);
    this.server = await startProbeServer({
      port: this.cfg.metricsPort,
      registry: this.metrics.registry,
      ready: () => all.every((i) => i.hasSynced),
    });
    await Promise.all(all.map((i) => i.start()));
    const status = this.metrics.leaderStatus;
    const lease = this.cfg.leaderElection.name;
    status.set({ name: lease }, 0);
    this.running = this.elector.run({
      onStartedLeading: (signal) => {
        status.set({ name: lease }, 1);
        this.lead(signal);
      },
      onStoppedLeading: () => {
        status.set({ name: lease }, 0);
        void this.stopLeading();
      },
    });
  }

  /** Graceful shutdown (SIGTERM): stop acting, hand the Lease back, stop watching. */
  async stop(): Promise<void> {
    this.elector.stop();
    await this.running;
    await this.stopLeading();
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  private lead(signal: AbortSignal): void {
    const { hub, log, concurrency } = this.cfg;
    const status = new StatusWriter(hub);
    const events = new EventRecorder<Reason>(hub, {
      controller: "meridian.dev/operator",
      instance: this.cfg.leaderElection.identity,
      log,
    });
    let mc: Controller | undefined;
    let wakeups: PromotionWakeups | undefined;
    const registry = new ClusterRegistry({
      probeIntervalMs: this.cfg.probeIntervalMs,
      probeTimeoutMs: this.cfg.probeTimeoutMs,
      log,
      metrics: this.clusterMetrics,
      onProbe: (cluster, reachabilityChanged) => {
        mc?.enqueue(cluster);
        if (reachabilityChanged)
          for (const key of this.appsByWorkload.ofCluster(cluster)) this.active?.apps.enqueue(key);
      },
      onWorkloadChange: (cluster, kind, workload) => {
        for (const key of this.appsByWorkload.ofWorkload(cluster, kind, workload))
          this.active?.apps.enqueue(key);
        wakeups?.workloadChanged(cluster, workload);
      },
    });
    const controllerOpts = { concurrency, metrics: this.metrics, log };
    // Region Leases live in the operator's namespace; a new leader counts expiry from its own reads.
    const regionLeases = new RegionLeaseReader(hub, this.cfg.leaderElection.namespace, log);
    regionLeases.start();
    mc = new Controller({
      ...controllerOpts,
      reconciler: new MemberClusterReconciler({
        hub,
        clusters: this.informers.clusters,
        registry,
        status,
        events,
      }),
    });
    const dnsSync = new DnsSync();
    let dns: Controller | undefined;
    const health = new RegionalAppReconciler({
      ...this.informers,
      hub,
      registry,
      status,
      events,
      metrics: this.appMetrics,
      promoterFor: this.cfg.promoterFor,
      dnsFor: this.cfg.dnsFor,
      dnsSync,
      requestDnsSync: (key) => dns?.enqueue(key),
    });
    const apps = new Controller({ ...controllerOpts, reconciler: health });
    dns = new Controller({
      ...controllerOpts,
      reconciler: new DnsSyncReconciler({
        ...this.informers,
        events,
        dnsSync,
        health: (key) => health.regionVerdicts(key),
        dnsFor: this.cfg.dnsFor,
      }),
    });
    const promotions = new Controller({
      ...controllerOpts,
      reconciler: new ReplicaPromotionReconciler({
        ...this.informers,
        hub,
        registry,
        status,
        events,
        metrics: this.failoverMetrics,
        promoterFor: this.cfg.promoterFor,
        dnsFor: this.cfg.dnsFor,
        regionLeases,
      }),
    });
    wakeups = new PromotionWakeups(this.informers.promotions, this.informers.apps, (key) =>
      promotions.enqueue(key),
    );
    const wake = wakeups;
    regionLeases.onChange(() => wake.leasesChanged());
    const policies = new Controller({
      ...controllerOpts,
      reconciler: new FailoverPolicyReconciler({
        ...this.informers,
        status,
        events,
        probeIntervalMs: this.cfg.probeIntervalMs,
      }),
    });
    this.active = {
      controllers: [mc, apps, dns, promotions, policies],
      registry,
      regionLeases,
      mc,
      apps,
      promotions,
      policies,
      wakeups,
    };
    for (const c of this.active.controllers) c.start(signal);
    for (const cluster of this.informers.clusters.list()) mc.enqueue(keyOf(cluster));
    for (const app of this.informers.apps.list()) apps.enqueue(keyOf(app));
    for (const rp of this.informers.promotions.list()) promotions.enqueue(keyOf(rp));
    for (const policy of this.informers.policies.list()) policies.enqueue(keyOf(policy));
  }

  private async stopLeading(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    if (!active) return;
    this.appMetrics.observeAges(undefined);
    await Promise.all(active.controllers.map((c) => c.shutdown()));
    active.regionLeases.stop();
    await active.registry.stop();
  }

  /** Some of a policy's findings depend on the registered clusters (jurisdictions, how many). */
  private clusterChanged(mc: MemberCluster): void {
    this.active?.mc.enqueue(keyOf(mc));
    for (const policy of this.informers.policies.list()) this.active?.policies.enqueue(keyOf(policy));
  }

  private enqueueAppsOf(policy: FailoverPolicy): void {
    const namespace = policy.metadata?.namespace;
    for (const app of this.informers.apps.list(namespace)) {
      if (app.spec.policyRef.name === policy.metadata?.name) this.active?.apps.enqueue(keyOf(app));
    }
  }
}
