// The `cloudnative-pg` engine: moves the primary of a CloudNativePG distributed topology with
// CloudNativePG's own replica-cluster protocol (docs/cloudnative-pg.md). The fence demotes the old
// primary's Cluster (spec.replica.primary names the successor) and waits for CloudNativePG's
// status.demotionToken; the promotion sets the target's spec.replica.primary to itself together
// with that token as spec.replica.promotionToken, and CloudNativePG promotes only once the replica
// has replayed up to the token's position, so no acknowledged write is lost. Meridian talks to
// the Cluster objects only; the SQL is CloudNativePG's.
import { setTimeout as delay } from "node:timers/promises";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import {
  type CnpgCluster,
  cnpgClusters,
  fencedEpochAnnotation,
  fencedEpochOf,
  isReplica,
  judgeDemotion,
  judgePromotion,
  phaseHealthy,
  promotedEpochAnnotation,
  promotedEpochOf,
  tokenBeforeFenceAnnotation,
  topologyName,
} from "./cloudnative-pg/cluster.ts";
import type {
  CatchUpState,
  DatabaseEndpoint,
  FenceState,
  MemberDatabase,
  Promoter,
  PromotionState,
  ReplicaState,
} from "./promoter.ts";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface CloudNativePgPromoterOptions {
  /** How long fence() waits for CloudNativePG's demotion token. Default 30 s. */
  fenceWaitMs?: number;
  /** How often a wait re-reads the Cluster. Default 250 ms. */
  pollMs?: number;
}

/** A CloudNativePG step that cannot go on; the message says what to do. */
export class CloudNativePgError extends Error {}

export class CloudNativePgPromoter implements Promoter {
  readonly reportsPositions = false;
  readonly #fenceWaitMs: number;
  readonly #pollMs: number;

  constructor(options: CloudNativePgPromoterOptions = {}) {
    this.#fenceWaitMs = options.fenceWaitMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 250;
  }

  async state(db: DatabaseEndpoint): Promise<ReplicaState> {
    const c = await read(db);
    const replica = isReplica(c);
    // CloudNativePG publishes no replay position in the Cluster; its phase says whether it replicates.
    return { inRecovery: replica, lsn: "", streaming: replica && c.status?.phase === phaseHealthy };
  }

  lagBytes(): Promise<number> {
    return Promise.reject(new CloudNativePgError("engine cloudnative-pg reports no WAL positions"));
  }

  /** CloudNativePG itself holds the promotion until the replica has replayed up to the demotion token. */
  async caughtUp(): Promise<CatchUpState> {
    return {
      caughtUp: true,
      detail: "CloudNativePG promotes only once the replica has replayed up to the demotion token's position",
    };
  }

  async fence(db: DatabaseEndpoint, epoch: number): Promise<void> {
    const { where, member } = describe(db);
    const successor = member.peer;
    if (!successor?.member || member.move?.from !== db.region) {
      throw new CloudNativePgError(
        `${where}: a CloudNativePG primary is fenced by demoting it towards the region taking over, and none was given; it was not fenced`,
      );
    }
    const c = await read(db);
    refuseStandalone(c, where);
    if (promotedEpochOf(c) > epoch || fencedEpochOf(c) > epoch) {
      throw new CloudNativePgError(
        `${where} records a newer epoch (${Math.max(promotedEpochOf(c), fencedEpochOf(c))}) than ${epoch}: a later promotion has taken over; not fenced again`,
      );
    }
    const next = topologyName(await read(successor));
    const annotations: Record<string, string> = { [fencedEpochAnnotation]: String(epoch) };
    // The token a demotion at this epoch must replace; kept from the first fence call, so a retry
    // after CloudNativePG wrote the new token does not mistake it for the old one.
    if (fencedEpochOf(c) !== epoch) annotations[tokenBeforeFenceAnnotation] = c.status?.demotionToken ?? "";
    await patch(member, {
      metadata: { annotations },
      spec: { replica: { primary: next, source: next } },
    });
    const deadline = Date.now() + this.#fenceWaitMs;
    for (;;) {
      const state = await this.fenceState(db, epoch);
      if (state.fenced) return;
      if (state.failed) throw new CloudNativePgError(state.failed);
      if (Date.now() > deadline)
        throw new CloudNativePgError(`${state.detail}; waited ${this.#fenceWaitMs} ms`);
      await delay(this.#pollMs);
    }
  }

  async fenceState(db: DatabaseEndpoint, epoch: number): Promise<FenceState> {
    return judgeDemotion(await read(db), epoch, describe(db).where);
  }

  async promote(db: DatabaseEndpoint, epoch: number, timeoutSeconds: number): Promise<void> {
    const { where, member } = describe(db);
    const c = await read(db);
    refuseStandalone(c, where);
    if (promotedEpochOf(c) < epoch) {
      const old = member.peer;
      if (!old?.member || member.move?.to !== db.region) {
        throw new CloudNativePgError(`${where}: no fenced primary was given to take the demotion token from`);
      }
      // Never without the predecessor's token: CloudNativePG would promote at once (a failover
      // that loses what the replica had not replayed and forces a rebuild of the old primary).
      const demoted = await this.fenceState(old, epoch);
      const token = (await read(old)).status?.demotionToken;
      if (!demoted.fenced || !token) {
        throw new CloudNativePgError(
          `${where} was not promoted: ${demoted.detail}; Meridian promotes a replica cluster only with the demotion token of the primary it demoted`,
        );
      }
      await patch(member, {
        metadata: { annotations: { [promotedEpochAnnotation]: String(epoch) } },
        spec: { replica: { primary: topologyName(c), promotionToken: token } },
      });
    }
    const deadline = Date.now() + Math.max(1, timeoutSeconds) * 1000;
    for (;;) {
      const state = await this.promotionState(db, epoch);
      if (state.promoted) return;
      if (state.failed) throw new CloudNativePgError(state.failed);
      if (Date.now() > deadline) throw new CloudNativePgError(`${state.detail}; waited ${timeoutSeconds} s`);
      await delay(this.#pollMs);
    }
  }

  async promotionState(db: DatabaseEndpoint, epoch: number): Promise<PromotionState> {
    return judgePromotion(await read(db), epoch, describe(db).where);
  }

  /**
   * CloudNativePG's evidence that the new primary serves: promoted with the token and the Cluster
   * in its healthy phase. Meridian holds no credentials of a CloudNativePG database, so no test
   * row is written (docs/cloudnative-pg.md).
   */
  async verifyWrite(db: DatabaseEndpoint, epoch: number): Promise<void> {
    const c = await read(db);
    const { promoted, detail } = judgePromotion(c, epoch, describe(db).where);
    if (!promoted) throw new CloudNativePgError(detail);
    if (c.status?.phase !== phaseHealthy) {
      throw new CloudNativePgError(
        `${describe(db).where} is promoted but in phase "${c.status?.phase ?? ""}"`,
      );
    }
  }

  /** Undoing a demotion is a promotion by CloudNativePG's procedure: a decision for a person. */
  async reopen(db: DatabaseEndpoint, epoch: number): Promise<void> {
    const { where } = describe(db);
    throw new CloudNativePgError(
      `${where} stays demoted (epoch ${epoch}): Meridian does not undo a CloudNativePG demotion. Once you are sure no other Cluster was promoted, promote it back as CloudNativePG documents: spec.replica.primary set to its own name together with its status.demotionToken as spec.replica.promotionToken (docs/cloudnative-pg.md)`,
    );
  }
}

function describe(db: DatabaseEndpoint): { where: string; member: MemberDatabase } {
  const member = db.member;
  if (!member?.cluster) {
    throw new CloudNativePgError(
      `region ${db.region}: spec.regions[].database.cloudNativePG names no CloudNativePG Cluster`,
    );
  }
  return { where: `region ${db.region} Cluster ${member.cluster.namespace}/${member.cluster.name}`, member };
}

async function read(db: DatabaseEndpoint): Promise<CnpgCluster> {
  const { member } = describe(db);
  const cluster = member.cluster as { namespace: string; name: string };
  return (await member.kc
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ ...cnpgClusters, ...cluster })) as CnpgCluster;
}

async function patch(member: MemberDatabase, body: object): Promise<void> {
  const cluster = member.cluster as { namespace: string; name: string };
  await member.kc
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject({ ...cnpgClusters, ...cluster, body }, mergePatch);
}

/** The legacy standalone replica (spec.replica.enabled) has no demotion: CloudNativePG cannot switch it back. */
function refuseStandalone(c: CnpgCluster, where: string): void {
  if (c.spec?.replica?.enabled !== undefined) {
    throw new CloudNativePgError(
      `${where} sets spec.replica.enabled (a standalone replica cluster), which CloudNativePG cannot demote or promote with a token; use the distributed topology (spec.replica.primary, source and self) and leave enabled unset`,
    );
  }
}
