// The act step of a ReplicaPromotion: one idempotent action per reconcile. Facts learnt while
// acting (the size before the fence, the old primary's final WAL position) join the promotion's
// status at once. crashPoint() marks every gap between two writes, so tests can kill the operator
// exactly there (src/runtime/crash-point.ts).
import type { RegionalApp, ReplicaPromotion, ReplicaPromotionStatus } from "../../api/types.generated.ts";
import { recordsAfterPromotion } from "../../failover/dns-targets.ts";
import type { Action } from "../../failover/promotion-steps.ts";
import { scaleToZero, scaleUpTo, type WorkloadRef } from "../../fencing/workload.ts";
import { crashPoint } from "../../runtime/crash-point.ts";
import type { AppStatusWriter } from "../app-status.ts";
import type { FailoverControllerDeps } from "../deps.ts";
import { databaseOf } from "./databases.ts";
import { workloadOf } from "./facts.ts";

export interface ActionContext {
  rp: ReplicaPromotion;
  app: RegionalApp;
  from: string;
  epoch: number;
  /** The status just recorded for this step. */
  status: ReplicaPromotionStatus;
  /** Writes the promotion's status. */
  record(status: ReplicaPromotionStatus): Promise<void>;
}

export class PromotionActions {
  readonly #deps: FailoverControllerDeps;
  readonly #apps: AppStatusWriter;

  constructor(deps: FailoverControllerDeps, apps: AppStatusWriter) {
    this.#deps = deps;
    this.#apps = apps;
  }

  async run(action: Action, c: ActionContext): Promise<void> {
    switch (action) {
      case "none":
        return;
      case "allocateEpoch":
        return this.#allocateEpoch(c);
      case "fence":
        return this.#fence(c);
      case "readFinalPosition":
        return this.#readFinalPosition(c);
      case "promote":
        return this.#promote(c);
      case "scaleUp":
        return this.#scaleUp(c);
      case "reroute":
        return this.#reroute(c);
    }
  }

  async #allocateEpoch({ rp, app, from, epoch }: ActionContext): Promise<void> {
    // Lost to another writer: the next reconcile reads the app again and decides on what it finds.
    await this.#apps.allocateEpoch(app, {
      from,
      to: rp.spec.targetRegion,
      epoch,
      promotionRef: rp.metadata?.name ?? "",
    });
    crashPoint("promotion.after-epoch");
  }

  async #fence({ rp, app, from, epoch, status, record }: ActionContext): Promise<void> {
    const old = workloadOf(app, from) as WorkloadRef;
    const replicas = await scaleToZero(this.#client(app, from), old);
    crashPoint("promotion.after-scale-to-zero");
    await record({ ...status, targetReplicas: status.targetReplicas ?? replicas });
    const promoter = this.#deps.promoterFor(app.spec.database.engine);
    if (!promoter) return;
    const db = await databaseOf(this.#deps, app, from, { from, to: rp.spec.targetRegion });
    await promoter.fence(db, epoch);
    crashPoint("promotion.after-fence");
    if (!promoter.reportsPositions) return;
    const oldPrimaryLsn = (await promoter.state(db)).lsn;
    await record({ ...status, targetReplicas: status.targetReplicas ?? replicas, oldPrimaryLsn });
  }

  /** The fenced old primary's final WAL position, when the hub can read it (best effort: it may be cut off). */
  async #readFinalPosition({ app, from, epoch, status, record }: ActionContext): Promise<void> {
    const promoter = this.#deps.promoterFor(app.spec.database.engine);
    if (!promoter?.reportsPositions || status.oldPrimaryLsn) return;
    const db = await databaseOf(this.#deps, app, from);
    const fence = await promoter.fenceState(db, epoch).catch(() => undefined);
    if (!fence?.fenced) return; // unreachable, or not provably fenced: the decision-time guard stands
    const oldPrimaryLsn = (await promoter.state(db).catch(() => undefined))?.lsn;
    if (oldPrimaryLsn) await record({ ...status, oldPrimaryLsn });
  }

  async #promote({ rp, app, from, epoch, status, record }: ActionContext): Promise<void> {
    const promoter = this.#deps.promoterFor(app.spec.database.engine);
    if (!promoter) return;
    const policy = this.#deps.policies.get(app.spec.policyRef.name, app.metadata?.namespace);
    const guard = {
      maxLagBytes: policy?.spec.promotion.maxLagBytes ?? 0,
      allowDataLoss: rp.spec.allowDataLoss || policy?.spec.promotion.allowDataLoss === true,
    };
    const db = await databaseOf(this.#deps, app, rp.spec.targetRegion, {
      from,
      to: rp.spec.targetRegion,
      guard,
    });
    if (promoter.reportsPositions) {
      const before = await promoter.state(db);
      // Against the fenced primary's final position when the hub fenced it; otherwise the lag last
      // measured while it was reachable: what this promotion may lose.
      const lag = rp.status?.oldPrimaryLsn
        ? Math.max(0, await promoter.lagBytes(db, rp.status.oldPrimaryLsn, before.lsn))
        : app.status?.regions?.find((r) => r.name === rp.spec.targetRegion)?.replicationLagBytes;
      if (lag !== undefined && status.lagBytesAtPromotion === undefined) {
        await record({ ...status, lagBytesAtPromotion: lag });
      }
    }
    await promoter.promote(db, epoch, policy?.spec.promotion.timeoutSeconds ?? 60);
    crashPoint("promotion.after-promote");
  }

  async #scaleUp({ rp, app, status }: ActionContext): Promise<void> {
    const target = workloadOf(app, rp.spec.targetRegion) as WorkloadRef;
    const standby = app.spec.regions.find((r) => r.name === rp.spec.targetRegion)?.standbyReplicas;
    await scaleUpTo(this.#client(app, rp.spec.targetRegion), target, status.targetReplicas ?? standby ?? 1);
    crashPoint("promotion.after-scale-up");
  }

  async #reroute({ rp, app, from, epoch }: ActionContext): Promise<void> {
    const policy = this.#deps.policies.get(app.spec.policyRef.name, app.metadata?.namespace);
    const dns = this.#deps.dnsFor(app);
    const current = await dns.current(app.spec.dns.hostname, app.spec.dns.recordType);
    const desired = recordsAfterPromotion(app, rp.spec.targetRegion, from, policy?.spec.dns.ttlSeconds ?? 30);
    await dns.apply({ desired, expectedCurrent: current, epoch });
    crashPoint("promotion.after-reroute");
  }

  /**
   * After a promotion failed before anything was promoted: undoes the hub's own fence of the old
   * primary at this epoch (database reopened, workload back to its size), so a failed attempt does
   * not leave the app without a primary. Returns what it did or why it could not, for the message.
   */
  async reopenOldPrimary({ rp, app, from, epoch, status }: ActionContext): Promise<string> {
    const promoter = this.#deps.promoterFor(app.spec.database.engine);
    try {
      if (promoter) {
        const move = { from, to: rp.spec.targetRegion };
        const target = await promoter.state(await databaseOf(this.#deps, app, rp.spec.targetRegion, move));
        if (!target.inRecovery) {
          return `${from} was not reopened: ${rp.spec.targetRegion}'s database has left recovery, so reopening could make two primaries; decide by hand which one to keep (docs/postgresql.md)`;
        }
        await promoter.reopen(await databaseOf(this.#deps, app, from, move), epoch);
      }
      const old = workloadOf(app, from) as WorkloadRef;
      await scaleUpTo(this.#client(app, from), old, status.targetReplicas ?? 1);
      return `${from} was reopened at epoch ${epoch} and its workload scaled back to ${status.targetReplicas ?? 1}`;
    } catch (err) {
      return `${from} stays fenced at epoch ${epoch}: reopening it failed (${err instanceof Error ? err.message : String(err)}); reopen it by hand once it is safe (docs/postgresql.md)`;
    }
  }

  #client(app: RegionalApp, region: string) {
    const cluster = app.spec.regions.find((r) => r.name === region)?.clusterRef ?? "";
    const client = this.#deps.registry.get(cluster);
    if (!client) throw new Error(`no client for the cluster of region ${region}`);
    return client.kc;
  }
}
