import { CustomObjectsApi } from "@kubernetes/client-node";
import { findCondition, setCondition, setProgress } from "../../api/conditions.ts";
import { apiVersion, group, version } from "../../api/group.ts";
import { Reason, ReplicaPromotionCondition } from "../../api/reasons.ts";
import type {
  PromotionStep,
  RegionalApp,
  ReplicaPromotion,
  ReplicaPromotionStatus,
} from "../../api/types.generated.ts";
import { nextStep, type Phase, type PromotionFacts, type Step } from "../../failover/promotion-steps.ts";
import { isNotFound } from "../../runtime/api-errors.ts";
import type { ReconcileContext, Reconciler } from "../../runtime/controller.ts";
import { crashPoint } from "../../runtime/crash-point.ts";
import { ConfigurationError } from "../../runtime/errors.ts";
import { splitKey } from "../../runtime/keys.ts";
import { AppStatusWriter } from "../app-status.ts";
import type { FailoverControllerDeps } from "../deps.ts";
import { activePromotions } from "../regionalapp/promotions.ts";
import { PromotionActions } from "./actions.ts";
import { PromotionObserver, type RegionLeaseView } from "./facts.ts";
import type { FailoverMetrics } from "./metrics.ts";
import { promotionProgress } from "./progress.ts";

export interface PromotionDeps extends FailoverControllerDeps {
  metrics: FailoverMetrics;
  /** The hub's own reads of the region Leases: expiry, votes and agents' acknowledgements. */
  regionLeases: RegionLeaseView;
}

const promotionResource = { group, version, kind: "ReplicaPromotion", plural: "replicapromotions" };
const terminalPhases = new Set<Phase>(["Succeeded", "Failed", "Aborted"]);

/**
 * Drives one ReplicaPromotion: observe (facts.ts, read fresh), decide (nextStep, pure), record
 * (the phase goes to status before anything is done), act (actions.ts, one idempotent action). The
 * epoch is taken on the app by a compare-and-swap before any fencing and reused after a crash; the
 * app's new primary is written before the promotion says Succeeded.
 */
export class ReplicaPromotionReconciler implements Reconciler {
  readonly name = "replicapromotion";
  private readonly deps: PromotionDeps;
  private readonly custom: CustomObjectsApi;
  private readonly apps: AppStatusWriter;
  private readonly observer: PromotionObserver;
  private readonly actions: PromotionActions;
  /** Per running promotion, the phase and action its last reconcile ran (see requeueAfter). */
  private readonly lastAction = new Map<string, string>();

  constructor(deps: PromotionDeps) {
    this.deps = deps;
    this.custom = deps.hub.makeApiClient(CustomObjectsApi);
    this.apps = new AppStatusWriter(deps.hub);
    this.observer = new PromotionObserver(deps, deps.regionLeases);
    this.actions = new PromotionActions(deps, this.apps);
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<{ requeueAfterMs: number } | undefined> {
    const { namespace = "", name } = splitKey(key);
    // Read fresh, not from the cache: every status write below is the complete status, and one
    // computed from a cached copy a moment old could write an earlier phase back.
    const rp = await this.read(name, namespace);
    const phase = (rp?.status?.phase ?? "Pending") as Phase;
    if (!rp || terminalPhases.has(phase)) {
      this.lastAction.delete(key);
      if (rp) await this.refreshFinished(rp, phase, ctx);
      return undefined;
    }
    const app = await this.apps.read(rp.spec.appRef.name, namespace);
    const policy = app && this.deps.policies.get(app.spec.policyRef.name, namespace);
    if (!app || !policy) {
      const what = app ? `FailoverPolicy ${app.spec.policyRef.name}` : `RegionalApp ${rp.spec.appRef.name}`;
      await this.finish(rp, app, "Failed", Reason.AppNotFound, `${what} not found in ${namespace}`, ctx);
      return undefined;
    }
    const now = (this.deps.now ?? Date.now)();
    const from = rp.status?.fromRegion ?? app.status?.currentPrimary ?? app.spec.primaryRegion;
    const handover = app.status?.handover;
    const epoch =
      handover?.promotionRef === name ? handover.epoch : (rp.status?.epoch ?? (app.status?.epoch ?? 0) + 1);
    if (phase === "Pending" && handover?.promotionRef !== name) {
      // One promotion per app at a time: the oldest running one wins, later ones stand down.
      const first = activePromotions(this.deps.promotions, app)[0];
      if (first && first.metadata?.name !== name) {
        const message = `ReplicaPromotion ${first.metadata?.name} is already running for ${app.metadata?.name}`;
        await this.finish(rp, app, "Aborted", Reason.FailoverInProgress, message, ctx);
        return undefined;
      }
    }
    let facts: PromotionFacts;
    try {
      facts = await this.observer.observe({ rp, app, policy, from, epoch, phase, now });
    } catch (err) {
      // Before anything was done, a configuration problem ends the promotion with its reason;
      // later, it is retried (with backoff) because stopping half-way would be worse.
      if (!(err instanceof ConfigurationError) || phase !== "Pending") throw err;
      await this.finish(rp, app, "Failed", Reason.PromotionFailed, err.message, ctx);
      return undefined;
    }
    const step = nextStep(facts);
    const status = withApproval(
      this.advance(rp, from, epoch, phase, step.phase, step, now),
      rp,
      policy.spec.mode,
      now,
    );
    // One series per waiting promotion, removed once it moves on (promotion names never repeat).
    if (step.reason === Reason.AwaitingApproval)
      this.deps.metrics.awaitingApproval.set({ namespace, promotion: name }, 1);
    else this.deps.metrics.awaitingApproval.remove({ namespace, promotion: name });
    if (ctx.signal.aborted) return undefined;
    const terminal = terminalPhases.has(step.phase);
    const record = (s: ReplicaPromotionStatus) =>
      this.deps.status.apply({ ...promotionResource, name, namespace }, s);
    if (step.phase !== phase || !rp.status) {
      // A final phase is written once, by finish(), together with the measured RTO.
      if (!terminal) await record(status);
      crashPoint(`promotion.entered-${step.phase}`);
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
    if (terminal) {
      const finalPhase = step.phase as "Succeeded" | "Failed" | "Aborted";
      let message = step.message;
      if (
        finalPhase === "Failed" &&
        (phase === "Fencing" || phase === "Promoting") &&
        handover?.promotionRef === name
      ) {
        // Nothing was promoted: give the app its primary back rather than leave it fenced.
        message = `${message}; ${await this.actions.reopenOldPrimary({ rp, app, from, epoch, status, record })}`;
      }
      const final =
        message === step.message
          ? status
          : this.advance(rp, from, epoch, phase, step.phase, { reason: step.reason, message }, now);
      // A dry run allocates no epoch, so its status names none.
      await this.finish(rp, app, finalPhase, step.reason, message, ctx, {
        ...final,
        ...(rp.spec.dryRun ? {} : { epoch }),
      });
      return undefined;
    }
    if (!ctx.signal.aborted) await this.actions.run(step.action, { rp, app, from, epoch, status, record });
    return { requeueAfterMs: this.requeueAfter(key, step) };
  }

  /**
   * After an action, look again at once: most effects are visible to the next observe straight away
   * (the database fenced or promoted, DNS answering), and the rest wake the promotion by a watch
   * event (wakeups.ts). Only when the same action ran last time without moving the promotion on does
   * it wait the step's own delay, so a step whose effect lags never spins.
   */
  private requeueAfter(key: string, step: Step): number {
    const fallback = step.requeueAfterMs ?? 1000;
    if (step.action === "none") {
      this.lastAction.delete(key);
      return fallback;
    }
    const ran = `${step.phase}/${step.action}`;
    const again = this.lastAction.get(key) === ran;
    this.lastAction.set(key, ran);
    return again ? fallback : 0;
  }

  /** The status with `next` recorded: a step entry per phase, with when it started and ended. */
  private advance(
    rp: ReplicaPromotion,
    from: string,
    epoch: number,
    phase: Phase,
    next: Phase,
    outcome: { reason: Reason; message: string },
    now: number,
  ): ReplicaPromotionStatus {
    const { message } = outcome;
    const at = new Date(now).toISOString();
    const steps: PromotionStep[] = [...(rp.status?.steps ?? [{ name: "Pending", startedAt: at }])];
    if (next !== phase) {
      const last = steps.at(-1);
      if (last) steps[steps.length - 1] = { ...last, completedAt: at };
      steps.push({ name: next, startedAt: at, message });
    }
    const generation = rp.metadata?.generation ?? 0;
    const ready = setCondition(
      rp.status?.conditions,
      { type: ReplicaPromotionCondition.Ready, ...readiness[next], message, observedGeneration: generation },
      new Date(now),
    );
    const conditions = setProgress(ready, promotionProgress(next, outcome), generation, new Date(now));
    return {
      ...rp.status,
      observedGeneration: generation,
      phase: next,
      fromRegion: from,
      ...(next === "Pending" || (next === "Aborted" && phase === "Pending") || rp.spec.dryRun
        ? {}
        : { epoch }),
      steps,
      conditions,
    };
  }

  /**
   * A finished promotion is not driven any more, but its status still answers for the latest
   * generation (spec.approved may be set after the end) and carries the Reconciling and Stalled
   * conditions, also on promotions finished by a version that did not write them: otherwise
   * kstatus reads it as in progress for ever.
   */
  private async refreshFinished(rp: ReplicaPromotion, phase: Phase, ctx: ReconcileContext): Promise<void> {
    const generation = rp.metadata?.generation ?? 0;
    const conditions = rp.status?.conditions;
    const stalled = findCondition(conditions, ReplicaPromotionCondition.Stalled);
    if (rp.status?.observedGeneration === generation && stalled) return;
    const said = stalled ?? findCondition(conditions, ReplicaPromotionCondition.Ready);
    const outcome = {
      reason: (said?.reason as Reason | undefined) ?? readiness[phase].reason,
      message: said?.message ?? `the promotion ended ${phase}`,
    };
    const now = new Date((this.deps.now ?? Date.now)());
    const stamped = (conditions ?? []).map((c) => ({ ...c, observedGeneration: generation }));
    const next = setProgress(stamped, promotionProgress(phase, outcome), generation, now);
    if (ctx.signal.aborted) return;
    await this.deps.status.apply(
      { ...promotionResource, name: rp.metadata?.name ?? "", namespace: rp.metadata?.namespace ?? "" },
      { ...rp.status, observedGeneration: generation, conditions: next },
    );
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

  /**
   * Records the outcome: on success the app's new primary and epoch first (so no reader ever sees
   * a Succeeded promotion with the old primary still in the app), then the promotion; otherwise the
   * app's handover ends first, then the promotion.
   */
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
        { reason, message },
        now,
      );
    const ownsHandover = app?.status?.handover?.promotionRef === name;
    if (app && phase === "Succeeded" && !rp.spec.dryRun) {
      const epoch = final.epoch ?? 0;
      await this.apps.recordPrimary(app, rp.spec.targetRegion, epoch, {
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
      });
      crashPoint("promotion.after-record-primary");
      this.deps.metrics.epoch.set({ namespace: ns, app: app.metadata?.name ?? "" }, epoch);
      if (rtoSeconds !== undefined) this.deps.metrics.duration.observe({ type: rp.spec.type }, rtoSeconds);
    } else if (app && ownsHandover) {
      await this.apps.endHandover(app);
    }
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
  }
}

/**
 * The Approved condition: why the promotion may run (an Automatic policy, or spec.approved), or
 * that it waits for a person — what `kubectl wait --for=condition=Approved` and alerts watch.
 */
function withApproval(
  status: ReplicaPromotionStatus,
  rp: ReplicaPromotion,
  mode: string,
  now: number,
): ReplicaPromotionStatus {
  const approval = rp.spec.approved
    ? { status: "True" as const, reason: Reason.ApprovedInSpec, message: "spec.approved is true" }
    : mode === "Automatic"
      ? { status: "True" as const, reason: Reason.AutomaticPolicy, message: "the policy's mode is Automatic" }
      : {
          status: "False" as const,
          reason: Reason.AwaitingApproval,
          message: `the policy's mode is Manual: approve with kubectl meridian approve ${rp.metadata?.name}, or set spec.approved: true in Git`,
        };
  const conditions = setCondition(
    status.conditions,
    {
      type: ReplicaPromotionCondition.Approved,
      observedGeneration: rp.metadata?.generation ?? 0,
      ...approval,
    },
    new Date(now),
  );
  return { ...status, conditions };
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
