import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { apiVersion, group, version } from "../../api/group.ts";
import type {
  FailoverPolicy,
  MemberCluster,
  RegionalApp,
  ReplicaPromotion,
} from "../../api/types.generated.ts";
import { type FailoverInputs, measuresLagBytes } from "../../failover/decide-failover.ts";
import type { PromotionFact, PromotionToStart, StartInputs } from "../../failover/decide-start.ts";
import { isConflict } from "../../runtime/api-errors.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { AppStatusWriter } from "../app-status.ts";

const terminal = new Set(["Succeeded", "Failed", "Aborted"]);

/** The app's promotions that have not finished, oldest first. */
export function activePromotions(
  promotions: Informer<ReplicaPromotion>,
  app: RegionalApp,
): ReplicaPromotion[] {
  return promotions
    .list(app.metadata?.namespace)
    .filter((p) => p.spec.appRef.name === app.metadata?.name && !terminal.has(p.status?.phase ?? "Pending"))
    .sort((a, b) =>
      String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)),
    );
}

/** The inputs of the automatic-failover decision, from this reconcile's view of the regions. */
export function failoverInputs(
  app: RegionalApp,
  policy: FailoverPolicy,
  clusters: { get(name: string): MemberCluster | undefined },
  regions: { name: string; healthy: boolean | undefined; lagBytes?: number }[],
  promotionInProgress: boolean,
  now: number,
): FailoverInputs {
  const lastStarted = lastFailoverStart(app);
  return {
    primary: app.status?.currentPrimary ?? app.spec.primaryRegion,
    regions: app.spec.regions.map((r) => {
      const seen = regions.find((s) => s.name === r.name);
      return {
        name: r.name,
        priority: r.priority,
        healthy: seen?.healthy,
        jurisdiction: clusters.get(r.clusterRef)?.spec.jurisdiction,
        ...(seen?.lagBytes === undefined ? {} : { lagBytes: seen.lagBytes }),
      };
    }),
    suspended: app.spec.suspend,
    mode: policy.spec.mode,
    guardsLag: measuresLagBytes(app),
    maxLagBytes: policy.spec.promotion.maxLagBytes,
    allowDataLoss: policy.spec.promotion.allowDataLoss,
    minHealthyRegions: policy.spec.minHealthyRegions,
    minSecondsBetweenFailovers: policy.spec.minSecondsBetweenFailovers,
    ...(policy.spec.allowedJurisdictions ? { allowedJurisdictions: policy.spec.allowedJurisdictions } : {}),
    ...(lastStarted === undefined ? {} : { lastFailoverAt: lastStarted }),
    promotionInProgress,
    now,
  };
}

/**
 * When the app's last recorded move started (ms), if it was a Failover. status.lastFailover records
 * switchovers too, but the anti-flap rule is about failovers: a planned switchover must not hold
 * back the failover of the region it moved to. Failover promotions still listed count on their own.
 */
export function lastFailoverStart(app: RegionalApp): number | undefined {
  const last = app.status?.lastFailover;
  // A record without a type (none is written so today) counts, on the safe side.
  if (!last?.startedAt || (last.type ?? "Failover") !== "Failover") return undefined;
  return Date.parse(last.startedAt);
}

/** The app's promotions (any phase) as the start decision reads them. */
export function promotionFacts(promotions: ReplicaPromotion[], app: RegionalApp): PromotionFact[] {
  return promotions
    .filter((p) => p.spec.appRef.name === app.metadata?.name)
    .map((p) => ({
      name: p.metadata?.name ?? "",
      type: p.spec.type,
      targetRegion: p.spec.targetRegion,
      phase: p.status?.phase,
      dryRun: p.spec.dryRun ?? false,
      ...(p.status?.epoch === undefined ? {} : { epoch: p.status.epoch }),
      ...(p.metadata?.creationTimestamp
        ? { createdAt: Date.parse(String(p.metadata.creationTimestamp)) }
        : {}),
    }));
}

/** The inputs of decideStart from one read of the app and its promotions. */
export function startInputs(
  app: RegionalApp,
  policy: FailoverPolicy,
  promotions: ReplicaPromotion[],
  failover: FailoverInputs,
  now: number,
): StartInputs {
  const { primary: _p, promotionInProgress: _r, lastFailoverAt: _l, now: _n, ...rules } = failover;
  const started = lastFailoverStart(app);
  return {
    app: app.metadata?.name ?? "",
    specPrimary: app.spec.primaryRegion,
    lastAppliedPrimary: app.status?.lastAppliedPrimaryRegion,
    currentPrimary: app.status?.currentPrimary,
    epoch: app.status?.epoch ?? 0,
    handover: app.status?.handover,
    ...(started === undefined ? {} : { lastFailoverAt: started }),
    promotions: promotionFacts(promotions, app),
    failbackMode: policy.spec.failback.mode,
    failover: rules,
    now,
  };
}

/** The app and its promotions read from the API server itself, not from a cache. */
export async function readFresh(
  hub: KubeConfig,
  apps: AppStatusWriter,
  namespace: string,
  name: string,
): Promise<{ app: RegionalApp; promotions: ReplicaPromotion[] } | undefined> {
  const app = await apps.read(name, namespace);
  if (!app) return undefined;
  const list = (await hub.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: "replicapromotions",
  })) as { items: ReplicaPromotion[] };
  return { app, promotions: list.items.filter((p) => p.spec.appRef.name === name) };
}

/**
 * Creates the ReplicaPromotion that records and drives a failover or switchover, under the name
 * the decision derived from fresh facts (epoch and count of the app's promotions), so a retried
 * reconcile finds the one it made (AlreadyExists) instead of starting a second.
 */
export async function createPromotion(
  hub: KubeConfig,
  app: RegionalApp,
  p: PromotionToStart,
): Promise<string> {
  const namespace = app.metadata?.namespace ?? "";
  const appName = app.metadata?.name ?? "";
  const body = {
    apiVersion,
    kind: "ReplicaPromotion",
    metadata: {
      name: p.name,
      namespace,
      ownerReferences: [{ apiVersion, kind: "RegionalApp", name: appName, uid: app.metadata?.uid ?? "" }],
    },
    spec: {
      appRef: { name: appName },
      targetRegion: p.targetRegion,
      type: p.type,
      approved: p.approved,
      reason: p.reason,
      allowDataLoss: false,
      dryRun: false,
    },
  };
  await hub
    .makeApiClient(CustomObjectsApi)
    .createNamespacedCustomObject({ group, version, namespace, plural: "replicapromotions", body })
    .catch((err: unknown) => {
      if (!isConflict(err)) throw err;
    });
  return p.name;
}
