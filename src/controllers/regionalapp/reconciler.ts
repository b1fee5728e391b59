import { apiVersion, group, version } from "../../api/group.ts";
import { Reason } from "../../api/reasons.ts";
import type { FailoverPolicy, MemberCluster, Region, RegionalApp } from "../../api/types.generated.ts";
import { decideFailover, disqualification, type FailoverInputs } from "../../failover/decide-failover.ts";
import { decideStart, type StartDecision } from "../../failover/decide-start.ts";
import { describeApiError, isConflict } from "../../runtime/api-errors.ts";
import type { ReconcileContext, Reconciler } from "../../runtime/controller.ts";
import { ConfigurationError } from "../../runtime/errors.ts";
import type { EventSubject, EventType } from "../../runtime/events.ts";
import { splitKey } from "../../runtime/keys.ts";
import { failoverFieldManager } from "../../runtime/status-writer.ts";
import { AppStatusWriter } from "../app-status.ts";
import type { FailoverControllerDeps } from "../deps.ts";
import { DnsPreflight } from "./dns-preflight.ts";
import type { DnsSync, RegionVerdicts } from "./dns-sync.ts";
import { probeEndpoint } from "./endpoint-probe.ts";
import {
  nextRegionHealth,
  observationCounts,
  observationDue,
  observeRegion,
  type RegionHealth,
} from "./health.ts";
import type { RegionalAppMetrics } from "./metrics.ts";
import { activePromotions, createPromotion, failoverInputs, readFresh, startInputs } from "./promotions.ts";
import { ReplicationLagTracker } from "./replication.ts";
import { healthStatus, policyMissingStatus, type RegionView, statusChanged } from "./status.ts";

export interface RegionalAppDeps extends FailoverControllerDeps {
  metrics: RegionalAppMetrics;
  /** Shared with the DNS reconciler, which does the provider I/O on a queue of its own. */
  dnsSync: DnsSync;
  /** Hands the app to the DNS queue. */
  requestDnsSync(key: string): void;
}

/** Per app and region: the hysteresis state and when the region was last observed. */
type Tracked = RegionHealth & { observedAt: number | undefined; reason: Reason; message: string };

const appResource = { group, version, kind: "RegionalApp", plural: "regionalapps" };

/**
 * The observe-and-record half for a RegionalApp: once per health-check interval it observes every
 * region (cluster probe, workload from the member cluster's cache, optional HTTP endpoint),
 * applies the policy's thresholds, and records region health, Ready/Degraded/FailoverReady/
 * PrimaryAsSpecified, Events on every flip, and meridian_region_healthy. It starts a
 * ReplicaPromotion when decideStart says so, on the app and promotions read fresh. It renews
 * nothing: region Leases are the agents' (DESIGN "3. Fence").
 */
export class RegionalAppReconciler implements Reconciler {
  readonly name = "regionalapp";
  private readonly deps: RegionalAppDeps;
  private readonly tracked = new Map<string, Map<string, Tracked>>();
  private readonly lag: ReplicationLagTracker;
  private readonly dnsPreflight = new DnsPreflight();
  private readonly appStatus: AppStatusWriter;

  constructor(deps: RegionalAppDeps) {
    this.deps = deps;
    this.appStatus = new AppStatusWriter(deps.hub);
    this.lag = new ReplicationLagTracker(deps.hub, deps.now);
    deps.metrics.observeAges(() => this.observationAges());
  }

  /** The current verdict of each of the app's regions, for the DNS reconciler; undefined before any. */
  regionVerdicts(key: string): RegionVerdicts | undefined {
    const state = this.tracked.get(key);
    return state && ((region) => state.get(region)?.healthy);
  }

  /** Seconds since each app's least recently observed region was observed (apps observed at all). */
  private observationAges(): number[] {
    const now = (this.deps.now ?? Date.now)();
    const ages: number[] = [];
    for (const regions of this.tracked.values()) {
      const times = [...regions.values()].flatMap((r) => (r.observedAt === undefined ? [] : [r.observedAt]));
      if (times.length > 0) ages.push((now - Math.min(...times)) / 1000);
    }
    return ages;
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<{ requeueAfterMs: number } | undefined> {
    const app = this.deps.apps.get(splitKey(key).name, splitKey(key).namespace);
    if (!app) {
      this.forget(key);
      return undefined;
    }
    const namespace = app.metadata?.namespace ?? "";
    const subject = {
      apiVersion,
      kind: "RegionalApp",
      name: app.metadata?.name ?? "",
      namespace,
      uid: app.metadata?.uid,
    };
    const policy = this.deps.policies.get(app.spec.policyRef.name, namespace);
    if (!policy) {
      const message = `FailoverPolicy ${namespace}/${app.spec.policyRef.name} not found; create it or fix spec.policyRef.name`;
      await this.recordPolicyMissing(app, message, ctx);
      await this.deps.events.record(subject, "Warning", Reason.PolicyNotFound, "Observe", message);
      throw new ConfigurationError(message);
    }
    const { intervalSeconds, timeoutSeconds } = policy.spec.healthCheck;
    const nowMs = (this.deps.now ?? Date.now)();
    const state = this.stateOf(key, app);
    const views: RegionView[] = [];
    for (const region of app.spec.regions) {
      const before = state.get(region.name);
      let current = before;
      // Off-schedule only from caches: a health endpoint is probed once per interval.
      if (observationDue(before?.observedAt, nowMs, intervalSeconds) || !region.healthEndpoint) {
        const obs = await this.observe(app, region, timeoutSeconds * 1000);
        if (obs && observationCounts(before, obs.ok, nowMs, intervalSeconds)) {
          current = {
            ...nextRegionHealth(before, obs, policy.spec.healthCheck),
            observedAt: nowMs,
            reason: obs.reason,
            message: obs.message,
          };
          state.set(region.name, current);
        }
      }
      const view = current ?? {
        healthy: undefined,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        observedAt: undefined,
        reason: Reason.ProbePending,
        message: "no observation yet",
      };
      views.push({ name: region.name, ...view });
      if (before?.healthy !== view.healthy && view.healthy !== undefined) {
        ctx.log.info({ region: region.name, healthy: view.healthy }, view.message);
        await this.deps.events.record(
          subject,
          view.healthy ? "Normal" : "Warning",
          view.healthy ? Reason.RegionHealthy : view.reason,
          "Observe",
          `region ${region.name} ${view.healthy ? "healthy" : "unhealthy"}: ${view.message}`,
        );
      }
      if (view.healthy !== undefined) {
        this.deps.metrics.regionHealthy.set(
          { namespace, app: subject.name, region: region.name },
          view.healthy ? 1 : 0,
        );
      }
    }
    const primary = app.status?.currentPrimary ?? app.spec.primaryRegion;
    const promoter = this.deps.promoterFor(app.spec.database.engine);
    if (promoter) {
      const lag = this.lag.measure(promoter, key, app, primary, nowMs, intervalSeconds * 1000);
      for (const v of views) v.lagBytes = lag.get(v.name)?.bytes;
      for (const [region, { bytes, seconds }] of lag) {
        this.deps.metrics.replicationLag.set({ namespace, app: subject.name, region }, bytes);
        this.deps.metrics.replicationLagSeconds.set({ namespace, app: subject.name, region }, seconds);
      }
    }
    const active = activePromotions(this.deps.promotions, app);
    const inputs = failoverInputs(app, policy, this.deps.clusters, views, active.length > 0, nowMs);
    for (const v of views) {
      if (v.name !== primary) v.blocker = this.blocker(app, v, inputs);
    }
    const decision = decideFailover(inputs);
    const dns = this.dnsPreflight.check(app, policy, () => this.deps.dnsFor(app), nowMs);
    const next = healthStatus(app, views, new Date(nowMs), {
      activePromotion: active[0]?.metadata?.name,
      decision,
      dns,
    });
    this.deps.metrics.conditions.set(namespace, subject.name, next.conditions ?? []);
    if (!ctx.signal.aborted && statusChanged(app.status, next)) {
      await this.deps.status.apply({ ...appResource, name: subject.name, namespace }, next);
    }
    if (!ctx.signal.aborted && app.status?.currentPrimary === undefined) {
      // A new app: its primary is the spec's until a promotion records another.
      const initial = { currentPrimary: app.spec.primaryRegion, epoch: 0 };
      await this.deps.status.apply(
        { ...appResource, name: subject.name, namespace },
        initial,
        failoverFieldManager,
      );
    }
    if (!ctx.signal.aborted && active.length === 0) {
      const healthy = (region: string) => views.find((v) => v.name === region)?.healthy;
      if (this.deps.dnsSync.needed(key, app, policy, primary, healthy, nowMs)) this.deps.requestDnsSync(key);
    }
    if (!ctx.signal.aborted) await this.startPromotion(app, policy, inputs, views, subject, ctx, nowMs);
    return {
      requeueAfterMs: Math.min(
        this.untilNextObservation(state, intervalSeconds),
        policy.spec.fencing.retryPeriodSeconds * 1000,
      ),
    };
  }

  /**
   * Time until the app's next scheduled observation: an interval after the last one began, not
   * after this reconcile ended, so observations stay an interval apart however long reconciles take.
   */
  private untilNextObservation(state: Map<string, Tracked>, intervalSeconds: number): number {
    const now = (this.deps.now ?? Date.now)();
    const times = [...state.values()].map((t) => t.observedAt ?? now);
    return Math.max(0, Math.min(now, ...times) + intervalSeconds * 1000 - now);
  }

  /**
   * Starts the promotion decideStart calls for. The cache only gates: when it suggests nothing to
   * do, nothing is read; otherwise the app and its promotions are read fresh from the API server
   * and the decision taken again on those, and only that decision acts (a cache a moment old
   * never starts a promotion). A Switchover from Git is created before spec.primaryRegion is
   * recorded as acted upon, so a crash in between retries the switchover rather than losing it.
   */
  private async startPromotion(
    cachedApp: RegionalApp,
    policy: FailoverPolicy,
    cachedFailover: FailoverInputs,
    views: RegionView[],
    subject: EventSubject,
    ctx: ReconcileContext,
    nowMs: number,
  ): Promise<void> {
    const namespace = cachedApp.metadata?.namespace ?? "";
    const name = cachedApp.metadata?.name ?? "";
    const cached = decideStart(
      startInputs(cachedApp, policy, this.deps.promotions.list(namespace), cachedFailover, nowMs),
    );
    if (!cached.promotion && cached.record === undefined) {
      // The primary is down but a safety rule holds the failover back: say so, once per cause.
      if (cached.check === "AutomaticFailover" && cached.reason !== Reason.PrimaryHealthy) {
        await this.deps.events.record(subject, "Warning", cached.reason, "Failover", cached.message);
      }
      return;
    }
    const fresh = await readFresh(this.deps.hub, this.appStatus, namespace, name);
    if (!fresh || ctx.signal.aborted) return;
    const freshPrimary = fresh.app.status?.currentPrimary ?? fresh.app.spec.primaryRegion;
    const cachedPrimary = cachedFailover.primary;
    const freshFailover = failoverInputs(
      fresh.app,
      policy,
      this.deps.clusters,
      views,
      false, // decideStart's first check looks at the fresh promotions itself
      nowMs,
    );
    const d: StartDecision = decideStart(
      startInputs(fresh.app, policy, fresh.promotions, freshFailover, nowMs),
    );
    ctx.log.debug({ check: d.check, reason: d.reason }, d.message);
    if (d.promotion?.type === "Failover" && freshPrimary !== cachedPrimary) {
      // Lag was measured against the cached primary, which is no longer the primary: wait for the
      // cache (the next reconcile measures against the right one).
      ctx.log.info(
        { cachedPrimary, freshPrimary },
        "the cache is behind the app's primary; deciding next time",
      );
      return;
    }
    if (d.promotion) {
      const p = d.promotion;
      await createPromotion(this.deps.hub, fresh.app, p);
      ctx.log.info(
        { promotion: p.name, type: p.type, from: p.fromRegion, target: p.targetRegion },
        d.message,
      );
      const announce = promotionStartEvent(p.type);
      await this.deps.events.record(
        subject,
        announce.type,
        announce.reason,
        "Promote",
        `${p.type} from ${p.fromRegion} to ${p.targetRegion} started as ReplicaPromotion ${p.name}: ${d.message}`,
      );
    }
    if (d.record !== undefined && !ctx.signal.aborted) {
      try {
        await this.appStatus.recordAppliedPrimary(fresh.app, d.record);
      } catch (err) {
        // The app changed since the read: the next reconcile decides again on what it is now.
        if (!isConflict(err)) throw err;
        ctx.log.info(
          { err: describeApiError(err) },
          "app changed before lastAppliedPrimaryRegion was written",
        );
      }
    }
  }

  /** The tracked state of an app, seeded from its status after a restart or a change of leader. */
  private stateOf(key: string, app: RegionalApp): Map<string, Tracked> {
    let state = this.tracked.get(key);
    if (!state) {
      state = new Map();
      for (const r of app.status?.regions ?? []) {
        state.set(r.name, {
          healthy: r.healthy,
          consecutiveFailures: r.consecutiveFailures ?? 0,
          consecutiveSuccesses: r.consecutiveSuccesses ?? 0,
          observedAt: undefined, // observe at once: the stored time may be from another leader's clock
          reason: r.healthy === false ? Reason.RegionUnhealthy : Reason.RegionHealthy,
          message: r.message ?? "",
        });
      }
      this.tracked.set(key, state);
    }
    return state;
  }

  private forget(key: string): void {
    const { namespace = "", name } = splitKey(key);
    for (const region of this.tracked.get(key)?.keys() ?? []) {
      for (const gauge of [
        this.deps.metrics.regionHealthy,
        this.deps.metrics.replicationLag,
        this.deps.metrics.replicationLagSeconds,
      ]) {
        gauge.remove({ namespace, app: name, region });
      }
    }
    this.deps.metrics.conditions.forget(namespace, name);
    this.tracked.delete(key);
    this.lag.forget(key);
  }

  private async observe(app: RegionalApp, region: Region, timeoutMs: number) {
    const workloadNamespace = region.workload.namespace ?? app.metadata?.namespace ?? "";
    const workloadRef = `${region.workload.kind} ${workloadNamespace}/${region.workload.name}`;
    const mc = this.deps.clusters.get(region.clusterRef);
    const client = this.deps.registry.get(region.clusterRef);
    const probe = client?.probe;
    const cache =
      client && probe?.reachable
        ? this.deps.registry.workloads(region.clusterRef, region.workload.kind)
        : undefined;
    const workload = cache?.get(workloadNamespace, region.workload.name);
    const endpoint =
      region.healthEndpoint && probe?.reachable && workload
        ? await probeEndpoint(region.healthEndpoint.url, region.healthEndpoint.expectStatus, timeoutMs)
        : undefined;
    return observeRegion({
      cluster: mc ? clusterView(mc, probe) : undefined,
      clusterRef: region.clusterRef,
      workloadRef,
      workload,
      workloadKnown: cache?.synced ?? false,
      endpoint,
    });
  }

  /** Why a region could not take over now (pre-flight), or undefined. */
  private blocker(
    app: RegionalApp,
    view: RegionView,
    inputs: FailoverInputs,
  ): { reason: Reason; message: string } | undefined {
    // An unhealthy region's own reason (a missing MemberCluster, a missing workload) says most.
    if (view.healthy === false) return { reason: view.reason, message: `${view.name}: ${view.message}` };
    const region = app.spec.regions.find((r) => r.name === view.name);
    if (region && this.deps.registry.get(region.clusterRef)?.probe?.reachable !== true) {
      return { reason: Reason.ApiServerUnreachable, message: `${view.name}'s cluster is not reachable` };
    }
    const candidate = inputs.regions.find((r) => r.name === view.name);
    return candidate && disqualification(candidate, inputs);
  }

  private async recordPolicyMissing(app: RegionalApp, message: string, ctx: ReconcileContext): Promise<void> {
    const next = policyMissingStatus(app, message, new Date((this.deps.now ?? Date.now)()));
    const { name = "", namespace } = app.metadata ?? {};
    this.deps.metrics.conditions.set(namespace ?? "", name, next.conditions ?? []);
    if (ctx.signal.aborted || next.conditions === app.status?.conditions) return;
    await this.deps.status.apply({ ...appResource, name, namespace }, next);
  }
}

/**
 * The Event that announces a promotion this controller started: a failover answers an outage
 * (Warning, worth an alert); a switchover someone asked for in Git is routine (Normal).
 */
export function promotionStartEvent(type: "Failover" | "Switchover"): { type: EventType; reason: Reason } {
  return type === "Failover"
    ? { type: "Warning", reason: Reason.PrimaryUnhealthy }
    : { type: "Normal", reason: Reason.PrimaryRegionChanged };
}

/** The cluster as seen through its MemberCluster and the registry's last probe. */
function clusterView(mc: MemberCluster, probe: { reachable: boolean; error?: string } | undefined) {
  if (probe) return { reachable: probe.reachable, message: probe.error ?? "" };
  // No client: the MemberCluster's own status says why (a bad Secret, ...), so the region is not usable.
  const ready = mc.status?.conditions?.find((c) => c.type === "Ready");
  return ready?.status === "False"
    ? { reachable: false, message: ready.message }
    : { reachable: undefined, message: "" };
}
