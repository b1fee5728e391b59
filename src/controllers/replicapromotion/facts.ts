// The observe step of a ReplicaPromotion: everything nextStep() decides on, read fresh where a
// decision depends on it (the app from the API server, the old primary's fence and the target's
// promotion from the databases themselves, votes from the hub's own reads of the region Leases).
import { Reason } from "../../api/reasons.ts";
import type { FailoverPolicy, RegionalApp, ReplicaPromotion } from "../../api/types.generated.ts";
import { sameTargets } from "../../dns/targets.ts";
import { measuresLagBytes } from "../../failover/decide-failover.ts";
import { recordsAfterPromotion } from "../../failover/dns-targets.ts";
import { type LagReading, lagBeyondGuard } from "../../failover/lag-guard.ts";
import type { Phase, PromotionFacts } from "../../failover/promotion-steps.ts";
import { decideTargetProblem } from "../../failover/target-check.ts";
import { mayPromoteAway } from "../../fencing/protocol/hub-decision.ts";
import type { LeaseObservations } from "../../fencing/protocol/lease-observations.ts";
import { expiryMs, timingOf, voterWindowMs } from "../../fencing/protocol/timing.ts";
import type { WorkloadRef } from "../../fencing/workload.ts";
import { type DatabaseEndpoint, type Promoter, RoleUnknown } from "../../promotion/promoter.ts";
import type { FailoverControllerDeps } from "../deps.ts";
import { databaseOf } from "./databases.ts";

/** The hub's reads of the region Leases (src/fencing/hub-lease-reader.ts). */
export interface RegionLeaseView {
  observations: LeaseObservations;
  /** The clock the observations are measured on. */
  now(): number;
}

export interface PromotionContext {
  rp: ReplicaPromotion;
  /** Read fresh from the API server. */
  app: RegionalApp;
  policy: FailoverPolicy;
  from: string;
  epoch: number;
  phase: Phase;
  now: number;
}

/** A Failover may lose at most the guard; it waits this long in Promoting for the replica to catch up. */
const lagGraceMs = 5000;

export class PromotionObserver {
  readonly #deps: FailoverControllerDeps;
  readonly #leases: RegionLeaseView;

  constructor(deps: FailoverControllerDeps, leases: RegionLeaseView) {
    this.#deps = deps;
    this.#leases = leases;
  }

  async observe(c: PromotionContext): Promise<PromotionFacts> {
    const { rp, app, policy, from, phase, now } = c;
    const steps = rp.status?.steps ?? [];
    const started = steps.find((s) => s.name !== "Pending")?.startedAt;
    const phaseStartedAt =
      Date.parse(steps.at(-1)?.startedAt ?? rp.metadata?.creationTimestamp?.toString() ?? "") || now;
    const handover = app.status?.handover;
    const epochState = handover
      ? handover.promotionRef === rp.metadata?.name
        ? "mine"
        : "taken"
      : phase === "Pending"
        ? "free"
        : "mine";
    const oldRegion = app.spec.regions.find((r) => r.name === from);
    const target = app.spec.regions.find((r) => r.name === rp.spec.targetRegion);
    const reachable = oldRegion
      ? this.#deps.registry.get(oldRegion.clusterRef)?.probe?.reachable === true
      : false;
    const promoter = this.#deps.promoterFor(app.spec.database.engine);
    const move = { from, to: rp.spec.targetRegion };
    const targetDb = promoter && (await databaseOf(this.#deps, app, rp.spec.targetRegion, move));
    const timing = timingOf(policy.spec.fencing);
    const dns = this.#deps.dnsFor(app);
    const desired = recordsAfterPromotion(app, rp.spec.targetRegion, from, policy.spec.dns.ttlSeconds);
    const published =
      phase === "Rerouting" || phase === "Verifying"
        ? await dns.current(app.spec.dns.hostname, app.spec.dns.recordType)
        : [];
    const dnsPointsAtTarget = sameTargets(desired.recordType, published, desired.targets);
    const targetWritable = await this.#targetWritable(promoter, targetDb, c);
    // How far the target is behind the fenced primary's final position: needed only while Promoting
    // waits to promote (zero-lag wait, lag guard), so read once there and nowhere else.
    const waitingToPromote = phase === "Promoting" && !targetWritable;
    const behindFinal = waitingToPromote ? await this.#behindFinal(promoter, targetDb, rp) : undefined;
    // Engines without WAL positions answer the zero-lag question themselves (a lag Job, say).
    const catchUp =
      waitingToPromote && promoter?.caughtUp && targetDb && rp.spec.type !== "Failover"
        ? await promoter.caughtUp(targetDb, c.epoch)
        : undefined;
    const stepFailed = await this.#stepFailed(c, promoter, targetDb, catchUp?.failed);
    const fencingFacts = phase === "Fencing" || phase === "Pending";
    const targetWorkload = target && workloadOf(app, target.name);
    const wanted = rp.status?.targetReplicas ?? target?.standbyReplicas ?? 1;
    return {
      type: rp.spec.type,
      dryRun: rp.spec.dryRun,
      approved: rp.spec.approved || policy.spec.mode === "Automatic",
      phase,
      ...(started ? { startedAt: Date.parse(started) } : {}),
      phaseStartedAt,
      timeoutSeconds: policy.spec.promotion.timeoutSeconds,
      epoch: epochState,
      ...(phase === "Pending" ? await this.#pendingChecks(c, promoter, targetDb) : {}),
      oldPrimary: {
        reachable,
        fenced: fencingFacts && reachable ? await this.#fencedByHub(c, promoter) : false,
        acknowledged: fencingFacts && this.#acknowledged(c),
        promoteAway: fencingFacts ? this.#promoteAway(c) : { ok: false, message: "" },
        expiryWaitSeconds: Math.ceil(expiryMs(timing) / 1000),
      },
      target: {
        writable: targetWritable,
        finalPositionKnown: !promoter?.reportsPositions || rp.status?.oldPrimaryLsn !== undefined,
        caughtUp: !promoter
          ? true
          : promoter.reportsPositions
            ? behindFinal !== undefined && behindFinal.bytes <= 0
            : (catchUp?.caughtUp ?? true),
        scaledUp:
          target && targetWorkload
            ? (this.#replicas(target.clusterRef, targetWorkload) ?? 0) >= wanted
            : false,
      },
      ...(behindFinal !== undefined ? this.#lagGuard(c, behindFinal, phaseStartedAt) : {}),
      ...(stepFailed ? { stepFailed } : {}),
      dnsPointsAtTarget,
      verified:
        phase === "Verifying" && dnsPointsAtTarget && (await this.#verifyWrite(promoter, targetDb, c.epoch)),
      now,
    };
  }

  /** Pending: is the promotion still wanted, and can its target take over? */
  async #pendingChecks(
    c: PromotionContext,
    promoter: Promoter | undefined,
    targetDb: DatabaseEndpoint | undefined,
  ) {
    const { app, rp, policy, from } = c;
    const current = app.status?.currentPrimary ?? app.spec.primaryRegion;
    let obsolete: { reason: Reason; message: string } | undefined;
    if (current !== from) {
      obsolete = {
        reason: Reason.PromotionAborted,
        message: `the primary is already ${current}, not ${from}`,
      };
    } else if (
      rp.spec.type === "Failover" &&
      app.status?.regions?.find((r) => r.name === from)?.healthy === true
    ) {
      obsolete = {
        reason: Reason.PrimaryRecovered,
        message: `${from} is healthy again; the failover is not needed`,
      };
    }
    let targetProblem = decideTargetProblem(app, policy, rp, from, this.#deps.clusters);
    if (!targetProblem && rp.spec.type !== "Failover" && promoter && targetDb) {
      // A planned switchover fences a healthy primary: make sure the target can catch up first
      // (an engine that cannot see roles, job, leaves it to its lag Job).
      const state = await promoter
        .state(targetDb)
        .catch((err) => (err instanceof RoleUnknown ? "unknown" : undefined));
      if (state !== "unknown" && (!state?.inRecovery || !state.streaming)) {
        targetProblem = {
          reason: Reason.ReplicationLagTooHigh,
          message: `${rp.spec.targetRegion}'s database is ${state ? (state.inRecovery ? "not streaming from the primary" : "not a replica") : "unreachable"}: a ${rp.spec.type} would fence ${from} and then wait for a zero lag it cannot reach; nothing was fenced`,
        };
      }
    }
    return { ...(obsolete ? { obsolete } : {}), ...(targetProblem ? { targetProblem } : {}) };
  }

  async #fencedByHub(c: PromotionContext, promoter: Promoter | undefined): Promise<boolean> {
    const region = c.app.spec.regions.find((r) => r.name === c.from);
    const workload = workloadOf(c.app, c.from);
    if (!region || !workload || this.#replicas(region.clusterRef, workload) !== 0) return false;
    if (!promoter) return true;
    const db = await databaseOf(this.#deps, c.app, c.from, { from: c.from, to: c.rp.spec.targetRegion });
    return (await promoter.fenceState(db, c.epoch).catch(() => undefined))?.fenced === true;
  }

  /**
   * A step that failed for good (a failed Job, an unrecoverable Cluster): Fencing asks the old
   * primary's fence, Promoting the target's promotion and catch-up. Unreachable means not failed.
   */
  async #stepFailed(
    c: PromotionContext,
    promoter: Promoter | undefined,
    targetDb: DatabaseEndpoint | undefined,
    catchUpFailed: string | undefined,
  ): Promise<{ reason: Reason; message: string } | undefined> {
    // Only engines without positions fail a step for good; postgresql retries until the timeout,
    // and must not pay another database session per poll for a question it never answers yes.
    if (!promoter || !targetDb || promoter.reportsPositions) return undefined;
    let failed: string | undefined;
    if (c.phase === "Fencing") {
      const db = await databaseOf(this.#deps, c.app, c.from, { from: c.from, to: c.rp.spec.targetRegion });
      failed = (await promoter.fenceState(db, c.epoch).catch(() => undefined))?.failed;
    } else if (c.phase === "Promoting") {
      failed =
        catchUpFailed ?? (await promoter.promotionState(targetDb, c.epoch).catch(() => undefined))?.failed;
    }
    return failed ? { reason: Reason.DatabaseStepFailed, message: failed } : undefined;
  }

  #acknowledged(c: PromotionContext): boolean {
    if (!agentFencesDatabase(c.app)) return false; // its agent stops the workload, not the database
    const cluster = c.app.spec.regions.find((r) => r.name === c.from)?.clusterRef;
    const lease = cluster ? this.#leases.observations.latest()?.leases.get(cluster) : undefined;
    const key = `${c.app.metadata?.namespace}/${c.app.metadata?.name}`;
    return (lease?.fencedEpochs[key] ?? 0) >= c.epoch;
  }

  #promoteAway(c: PromotionContext) {
    if (!agentFencesDatabase(c.app)) {
      return {
        ok: false,
        reason: Reason.FenceNeedsRegionApi,
        message: `engine ${c.app.spec.database.engine} is fenced only through ${c.from}'s API server, and no agent fences it when that region is cut off: Meridian never promotes it on lease expiry alone (docs/fencing.md). Restore the hub's access to ${c.from}, or fence its database yourself and promote by hand`,
      };
    }
    const cluster = c.app.spec.regions.find((r) => r.name === c.from)?.clusterRef ?? c.from;
    const obs = this.#leases.observations;
    const now = this.#leases.now();
    const timing = timingOf(c.policy.spec.fencing);
    const verdict = mayPromoteAway({
      oldCluster: cluster,
      members: this.#deps.clusters.list().map((m) => m.metadata?.name ?? ""),
      advertised: obs.latest()?.leases.get(cluster)?.voters,
      unrenewedForMs: obs.unrenewedForMs(cluster, now),
      voting: obs.votersWithin(voterWindowMs(timing), now),
      timing,
    });
    return verdict.ok
      ? { ok: true, message: verdict.message }
      : {
          ok: false,
          reason: verdict.reason === "NoMajority" ? Reason.NoMajority : Reason.Fencing,
          message: verdict.message,
          ...(verdict.waitMs === undefined ? {} : { waitMs: verdict.waitMs }),
        };
  }

  async #targetWritable(
    promoter: Promoter | undefined,
    db: DatabaseEndpoint | undefined,
    c: PromotionContext,
  ) {
    if (!promoter || !db) return true;
    if (c.phase === "Pending" || c.phase === "Fencing") return false;
    return (await promoter.promotionState(db, c.epoch).catch(() => undefined))?.promoted === true;
  }

  /** How far the target is behind the fenced primary's final position; undefined when unknown. */
  async #behindFinal(
    promoter: Promoter | undefined,
    db: DatabaseEndpoint | undefined,
    rp: ReplicaPromotion,
  ): Promise<LagReading | undefined> {
    const oldLsn = rp.status?.oldPrimaryLsn;
    if (!promoter?.reportsPositions || !db || oldLsn === undefined) return undefined;
    const state = await promoter.state(db).catch(() => undefined);
    if (!state) return undefined;
    const bytes = await promoter.lagBytes(db, oldLsn, state.lsn).catch(() => undefined);
    return bytes === undefined ? undefined : { bytes, replayAgeSeconds: state.replayAgeSeconds };
  }

  /** A Failover re-checks the guard against the fenced primary's final position, when it is known. */
  #lagGuard(c: PromotionContext, lag: LagReading, since: number) {
    const { rp, policy, app, from } = c;
    const oldLsn = rp.status?.oldPrimaryLsn;
    const allowed = rp.spec.allowDataLoss || policy.spec.promotion.allowDataLoss;
    if (rp.spec.type !== "Failover" || allowed || !measuresLagBytes(app)) return {};
    const beyond = lagBeyondGuard(lag, policy.spec.promotion);
    if (beyond === undefined) return {};
    const behind = `${rp.spec.targetRegion} is ${beyond} (against ${from}'s final position ${oldLsn})`;
    if (c.now - since < lagGraceMs) {
      return {
        lagGuard: {
          state: "wait" as const,
          message: `${behind}; waiting for it to catch up before promoting`,
        },
      };
    }
    return {
      lagGuard: {
        state: "breached" as const,
        message: `${behind}; nothing was promoted. Let the replica catch up and retry, or retry with spec.allowDataLoss: true to accept the loss`,
      },
    };
  }

  async #verifyWrite(promoter: Promoter | undefined, db: DatabaseEndpoint | undefined, epoch: number) {
    if (!promoter || !db) return true;
    return promoter.verifyWrite(db, epoch).then(
      () => true,
      () => false,
    );
  }

  #replicas(cluster: string, w: WorkloadRef): number | undefined {
    return this.#deps.registry.workloads(cluster, w.kind)?.get(w.namespace, w.name)?.replicas;
  }
}

export function workloadOf(app: RegionalApp, region: string): WorkloadRef | undefined {
  const r = app.spec.regions.find((x) => x.name === region);
  if (!r) return undefined;
  return {
    kind: r.workload.kind,
    namespace: r.workload.namespace ?? app.metadata?.namespace ?? "",
    name: r.workload.name,
  };
}

/**
 * Whether the old primary's agent fences the app's database when its region is cut off (postgresql,
 * over SQL), so that lease expiry or the agent's acknowledgement may stand for a fence. The agent
 * fences only the workload of cloudnative-pg and job apps: those wait for the hub's own fence.
 */
export function agentFencesDatabase(app: RegionalApp): boolean {
  return app.spec.database.engine === "postgresql" || app.spec.database.engine === "none";
}
