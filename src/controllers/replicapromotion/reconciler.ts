import { CustomObjectsApi } from "@kubernetes/client-node";
import { setCondition } from "../../api/conditions.ts";
import { apiVersion, group, version } from "../../api/group.ts";
import { Reason, ReplicaPromotionCondition } from "../../api/reasons.ts";
import type {
  FailoverPolicy,
  PromotionStep,
  RegionalApp,
  ReplicaPromotion,
  ReplicaPromotionStatus,
} from "../../api/types.generated.ts";
import { sameTargets } from "../../dns/targets.ts";
import { recordsAfterPromotion } from "../../failover/dns-targets.ts";
import { type Action, nextStep, type Phase, type PromotionFacts } from "../../failover/promotion-steps.ts";
import { decideTargetProblem } from "../../failover/target-check.ts";
import { writeFencingLease } from "../../fencing/lease.ts";
import { scaleToZero, scaleUpTo, type WorkloadRef } from "../../fencing/workload.ts";
import type { Promoter } from "../../promotion/promoter.ts";
import { isNotFound } from "../../runtime/api-errors.ts";
import type { ReconcileContext, Reconciler } from "../../runtime/controller.ts";
import { ConfigurationError } from "../../runtime/errors.ts";
import { splitKey } from "../../runtime/keys.ts";
import { failoverFieldManager } from "../../runtime/status-writer.ts";
import type { FailoverControllerDeps } from "../deps.ts";
import { activePromotions } from "../regionalapp/promotions.ts";
import { databaseOf } from "./databases.ts";
import type { FailoverMetrics } from "./metrics.ts";

export interface PromotionDeps extends FailoverControllerDeps {
  metrics: FailoverMetrics;
}

const promotionResource = { group, version, kind: "ReplicaPromotion", plural: "replicapromotions" };
const appResource = { group, version, kind: "RegionalApp", plural: "regionalapps" };
/** Extra wait beyond the lease duration for clock skew between the hub and a member cluster. */
const leaseMarginSeconds = 2;

/**
 * Drives one ReplicaPromotion: observe (gather the facts), decide (nextStep, pure), record (the
 * phase goes to status before anything is done), act (one idempotent action). A crash anywhere
 * resumes from status with the same answer, and the epoch allocated when the promotion left
 * Pending is reused, never allocated twice.
 */
export class ReplicaPromotionReconciler implements Reconciler {
  readonly name = "replicapromotion";
  private readonly deps: PromotionDeps;
  private readonly custom: CustomObjectsApi;

  constructor(deps: PromotionDeps) {
    this.deps = deps;
    this.custom = deps.hub.makeApiClient(CustomObjectsApi);
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<{ requeueAfterMs: number } | undefined> {
    const { namespace = "", name } = splitKey(key);
    // Read fresh, not from the cache: every status write below is the complete status, and one
    // computed from a cached copy a moment old could write an earlier phase back.
    const rp = await this.read(name, namespace);
    if (!rp) return undefined;
    const phase = (rp.status?.phase ?? "Pending") as Phase;
    if (phase === "Succeeded" || phase === "Failed" || phase === "Aborted") return undefined;
    const app = this.deps.apps.get(rp.spec.appRef.name, namespace);
    const policy = app && this.deps.policies.get(app.spec.policyRef.name, namespace);
    if (!app || !policy) {
      const what = app ? `FailoverPolicy ${app.spec.policyRef.name}` : `RegionalApp ${rp.spec.appRef.name}`;
      await this.finish(rp, app, "Failed", Reason.AppNotFound, `${what} not found in ${namespace}`, ctx);
      return undefined;
    }
    const now = (this.deps.now ?? Date.now)();
    const from = rp.status?.fromRegion ?? app.status?.currentPrimary ?? app.spec.primaryRegion;
    const epoch = rp.status?.epoch ?? (app.status?.epoch ?? 0) + 1;
    if (phase === "Pending") {
      // One promotion per app at a time: the oldest running one wins, later ones stand down.
      const first = activePromotions(this.deps.promotions, app)[0];
      if (first && first.metadata?.name !== name) {
        await this.finish(
          rp,
          app,
          "Aborted",
          Reason.FailoverInProgress,
          `ReplicaPromotion ${first.metadata?.name} is already running for ${app.metadata?.name}`,
          ctx,
        );
        return undefined;
      }
    }
    let facts: PromotionFacts;
    try {
      facts = await this.observe(rp, app, policy, from, phase, now);
    } catch (err) {
      // Before anything was done, a configuration problem ends the promotion with its reason;
      // later, it is retried (with backoff) because stopping half-way would be worse.
      if (!(err instanceof ConfigurationError) || phase !== "Pending") throw err;
      await this.finish(rp, app, "Failed", Reason.PromotionFailed, err.message, ctx);
      return undefined;
    }
    const step = nextStep(facts);
    const status = this.advance(rp, from, epoch, phase, step.phase, step.message, now);
    if (ctx.signal.aborted) return undefined;
    const terminal = step.phase === "Succeeded" || step.phase === "Failed";
    if (step.phase !== phase || !rp.status) {
      // A final phase is written once, by finish(), together with the measured RTO.
      if (!terminal) await this.deps.status.apply({ ...promotionResource, name, namespace }, status);
      ctx.log.info({ phase: step.phase, reason: step.reason, epoch }, step.message);
      await this.deps.events.record(
        { apiVersion, kind: "ReplicaPromotion", name, namespace, uid: rp.metadata?.uid },
        step.phase === "Failed" ? "Warning" : "Normal",
        step.reason,
        step.phase,
        step.message,
      );
      if (phase !== "Pending" || step.phase !== "Pending") {
        this.deps.metrics.phaseDuration.observe({ phase }, (now - facts.phaseStartedAt) / 1000);
      }
    }
    if (step.phase === "Succeeded" || step.phase === "Failed") {
      await this.finish(rp, app, step.phase, step.reason, step.message, ctx, { ...status, epoch });
      return undefined;
    }
    await this.act(step.action, rp, app, from, epoch, status, ctx);
    return { requeueAfterMs: step.requeueAfterMs ?? 1000 };
  }

  private async observe(
    rp: ReplicaPromotion,
    app: RegionalApp,
    policy: FailoverPolicy,
    from: string,
    phase: Phase,
    now: number,
  ): Promise<PromotionFacts> {
    const steps = rp.status?.steps ?? [];
    const started = steps.find((s) => s.name !== "Pending")?.startedAt;
    const phaseStartedAt =
      Date.parse(steps.at(-1)?.startedAt ?? rp.metadata?.creationTimestamp?.toString() ?? "") || now;
    const oldRegion = app.spec.regions.find((r) => r.name === from);
    const target = app.spec.regions.find((r) => r.name === rp.spec.targetRegion);
    const reachable = oldRegion
      ? this.deps.registry.get(oldRegion.clusterRef)?.probe?.reachable === true
      : false;
    const promoter = this.deps.promoterFor(app.spec.database.engine);
    const db = promoter
      ? await this.databaseFacts(promoter, app, from, rp, reachable)
      : { oldFenced: true, writable: true, caughtUp: true };
    const oldWorkload = oldRegion && this.workload(app, oldRegion.name);
    const workloadFenced =
      !reachable || !oldWorkload ? false : (await this.replicasOf(oldRegion.clusterRef, oldWorkload)) === 0;
    const targetWorkload = target && this.workload(app, target.name);
    const wanted = rp.status?.targetReplicas ?? 1;
    const scaledUp =
      target && targetWorkload
        ? ((await this.replicasOf(target.clusterRef, targetWorkload)) ?? 0) >= wanted
        : false;
    const dns = this.deps.dnsFor(app);
    const desired = recordsAfterPromotion(app, rp.spec.targetRegion, from, policy.spec.dns.ttlSeconds);
    const published =
      phase === "Rerouting" || phase === "Verifying"
        ? await dns.current(app.spec.dns.hostname, app.spec.dns.recordType)
        : [];
    const dnsPointsAtTarget = sameTargets(desired.recordType, published, desired.targets);
    return {
      type: rp.spec.type,
      dryRun: rp.spec.dryRun,
      approved: rp.spec.approved || policy.spec.mode === "Automatic",
      phase,
      ...(started ? { startedAt: Date.parse(started) } : {}),
      phaseStartedAt,
      timeoutSeconds: policy.spec.promotion.timeoutSeconds,
      ...(phase === "Pending"
        ? { targetProblem: decideTargetProblem(app, policy, rp, from, this.deps.clusters) }
        : {}),
      oldPrimary: { reachable, fenced: workloadFenced && db.oldFenced },
      lease: { durationSeconds: policy.spec.fencing.leaseDurationSeconds, marginSeconds: leaseMarginSeconds },
      target: { writable: db.writable, caughtUp: db.caughtUp, scaledUp },
      dnsPointsAtTarget,
      verified: dnsPointsAtTarget && db.writable,
      now,
    };
  }

  private async databaseFacts(
    promoter: Promoter,
    app: RegionalApp,
    from: string,
    rp: ReplicaPromotion,
    reachable: boolean,
  ) {
    const targetDb = await databaseOf(this.deps.hub, app, rp.spec.targetRegion);
    const target = await promoter.state(targetDb).catch(() => undefined);
    const oldFenced = reachable
      ? await promoter.isFenced(await databaseOf(this.deps.hub, app, from)).catch(() => false)
      : false;
    const oldLsn = rp.status?.oldPrimaryLsn;
    const caughtUp =
      target !== undefined &&
      oldLsn !== undefined &&
      (await promoter.lagBytes(targetDb, oldLsn, target.lsn).catch(() => 1)) <= 0;
    return { oldFenced, writable: target?.inRecovery === false, caughtUp };
  }

  private workload(app: RegionalApp, region: string): WorkloadRef | undefined {
    const r = app.spec.regions.find((x) => x.name === region);
    if (!r) return undefined;
    return {
      kind: r.workload.kind,
      namespace: r.workload.namespace ?? app.metadata?.namespace ?? "",
      name: r.workload.name,
    };
  }

  private async replicasOf(cluster: string, w: WorkloadRef): Promise<number | undefined> {
    return this.deps.registry.workloads(cluster, w.kind)?.get(w.namespace, w.name)?.replicas;
  }

  /** The status with `next` recorded: a step entry per phase, with when it started and ended. */
  private advance(
    rp: ReplicaPromotion,
    from: string,
    epoch: number,
    phase: Phase,
    next: Phase,
    message: string,
    now: number,
  ): ReplicaPromotionStatus {
    const at = new Date(now).toISOString();
    const steps: PromotionStep[] = [...(rp.status?.steps ?? [{ name: "Pending", startedAt: at }])];
    if (next !== phase) {
      const last = steps.at(-1);
      if (last) steps[steps.length - 1] = { ...last, completedAt: at };
      steps.push({ name: next, startedAt: at, message });
    }
    const generation = rp.metadata?.generation ?? 0;
    const conditions = setCondition(
      rp.status?.conditions,
      {
        type: ReplicaPromotionCondition.Ready,
        ...readiness[next],
        message,
        observedGeneration: generation,
      },
      new Date(now),
    );
    return {
      ...rp.status,
      observedGeneration: generation,
      phase: next,
      fromRegion: from,
      ...(next === "Pending" ? {} : { epoch }),
      steps,
      conditions,
    };
  }

  private async read(name: string, namespace: string): Promise<ReplicaPromotion | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group,
        version,
        plural: "replicapromotions",
        namespace,
        name,
      })) as ReplicaPromotion;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Runs one action; facts it learns (size before the fence, WAL position) join `status`. */
  private async act(
    action: Action,
    rp: ReplicaPromotion,
    app: RegionalApp,
    from: string,
    epoch: number,
    status: ReplicaPromotionStatus,
    ctx: ReconcileContext,
  ): Promise<void> {
    if (action === "none" || ctx.signal.aborted) return;
    const ns = app.metadata?.namespace ?? "";
    const region = (name: string) => app.spec.regions.find((r) => r.name === name);
    const client = (name: string) => {
      const c = this.deps.registry.get(region(name)?.clusterRef ?? "");
      if (!c) throw new Error(`no client for the cluster of region ${name}`);
      return c.kc;
    };
    const policy = this.deps.policies.get(app.spec.policyRef.name, ns);
    const promoter = this.deps.promoterFor(app.spec.database.engine);
    switch (action) {
      case "fence": {
        const old = this.workload(app, from) as WorkloadRef;
        // The Lease first: it names the new holder and epoch, so the region's agent fences too.
        await writeFencingLease(
          client(from),
          { namespace: old.namespace, app: app.metadata?.name ?? "" },
          rp.spec.targetRegion,
          epoch,
          policy?.spec.fencing.leaseDurationSeconds ?? 15,
          Date.now(),
        );
        const replicas = await scaleToZero(client(from), old);
        let oldPrimaryLsn: string | undefined;
        if (promoter) {
          const db = await databaseOf(this.deps.hub, app, from);
          await promoter.fence(db, epoch);
          oldPrimaryLsn = (await promoter.state(db)).lsn;
        }
        await this.deps.status.apply(
          { ...promotionResource, name: rp.metadata?.name ?? "", namespace: ns },
          { ...status, targetReplicas: replicas, ...(oldPrimaryLsn ? { oldPrimaryLsn } : {}) },
        );
        return;
      }
      case "promote": {
        if (!promoter) return;
        const db = await databaseOf(this.deps.hub, app, rp.spec.targetRegion);
        const before = await promoter.state(db);
        // Against the fenced primary's final position when it was reachable; otherwise the lag
        // last measured while it was: what this promotion may lose.
        const lag = rp.status?.oldPrimaryLsn
          ? Math.max(0, await promoter.lagBytes(db, rp.status.oldPrimaryLsn, before.lsn))
          : app.status?.regions?.find((r) => r.name === rp.spec.targetRegion)?.replicationLagBytes;
        if (lag !== undefined) {
          await this.deps.status.apply(
            { ...promotionResource, name: rp.metadata?.name ?? "", namespace: ns },
            { ...status, lagBytesAtPromotion: lag },
          );
        }
        await promoter.promote(db, epoch, policy?.spec.promotion.timeoutSeconds ?? 60);
        return;
      }
      case "scaleUp": {
        const target = this.workload(app, rp.spec.targetRegion) as WorkloadRef;
        await scaleUpTo(
          client(rp.spec.targetRegion),
          target,
          rp.status?.targetReplicas ?? region(rp.spec.targetRegion)?.standbyReplicas ?? 1,
        );
        return;
      }
      case "reroute": {
        const dns = this.deps.dnsFor(app);
        const current = await dns.current(app.spec.dns.hostname, app.spec.dns.recordType);
        const desired = recordsAfterPromotion(
          app,
          rp.spec.targetRegion,
          from,
          policy?.spec.dns.ttlSeconds ?? 30,
        );
        await dns.apply({ desired, expectedCurrent: current, epoch });
        return;
      }
    }
  }

  /** Records the outcome on the promotion and, on success, on the app: new primary, epoch, lastFailover. */
  private async finish(
    rp: ReplicaPromotion,
    app: RegionalApp | undefined,
    phase: "Succeeded" | "Failed" | "Aborted",
    reason: Reason,
    message: string,
    ctx: ReconcileContext,
    status?: ReplicaPromotionStatus,
  ): Promise<void> {
    if (ctx.signal.aborted) return;
    const ns = rp.metadata?.namespace ?? "";
    const name = rp.metadata?.name ?? "";
    const created = Date.parse(rp.metadata?.creationTimestamp?.toString() ?? "");
    const now = (this.deps.now ?? Date.now)();
    const rtoSeconds = Number.isFinite(created) ? Math.round((now - created) / 100) / 10 : undefined;
    const final =
      status ??
      this.advance(
        rp,
        rp.status?.fromRegion ?? "",
        rp.status?.epoch ?? 0,
        (rp.status?.phase ?? "Pending") as Phase,
        phase,
        message,
        now,
      );
    await this.deps.status.apply(
      { ...promotionResource, name, namespace: ns },
      { ...final, ...(phase === "Succeeded" && rtoSeconds !== undefined ? { rtoSeconds } : {}) },
    );
    const result =
      phase === "Succeeded"
        ? rp.spec.dryRun
          ? "dry_run"
          : "success"
        : phase === "Aborted"
          ? "aborted"
          : "failure";
    this.deps.metrics.total.inc({ type: rp.spec.type, result });
    if (phase !== "Succeeded" || rp.spec.dryRun || !app) return;
    if (rtoSeconds !== undefined) this.deps.metrics.duration.observe({ type: rp.spec.type }, rtoSeconds);
    const epoch = final.epoch ?? 0;
    this.deps.metrics.epoch.set({ namespace: ns, app: app.metadata?.name ?? "" }, epoch);
    await this.deps.status.apply(
      { ...appResource, name: app.metadata?.name ?? "", namespace: ns },
      {
        currentPrimary: rp.spec.targetRegion,
        epoch,
        lastFailover: {
          type: rp.spec.type,
          from: final.fromRegion,
          to: rp.spec.targetRegion,
          reason: rp.spec.reason ?? reason,
          promotionRef: name,
          epoch,
          startedAt: rp.metadata?.creationTimestamp
            ? new Date(rp.metadata.creationTimestamp).toISOString()
            : undefined,
          completedAt: new Date(now).toISOString(),
          ...(rtoSeconds !== undefined ? { rtoSeconds } : {}),
          ...(final.lagBytesAtPromotion !== undefined
            ? { dataLossEstimate: { bytes: final.lagBytesAtPromotion } }
            : {}),
        },
      },
      failoverFieldManager,
    );
  }
}

/** The Ready condition of a promotion per phase: Unknown while it runs. */
const running = { status: "Unknown", reason: Reason.Promoting } as const;
const readiness: Record<Phase, { status: "True" | "False" | "Unknown"; reason: Reason }> = {
  Pending: running,
  Fencing: running,
  Promoting: running,
  Rerouting: running,
  Verifying: running,
  Succeeded: { status: "True", reason: Reason.PromotionSucceeded },
  Failed: { status: "False", reason: Reason.PromotionFailed },
  Aborted: { status: "False", reason: Reason.PromotionAborted },
};
