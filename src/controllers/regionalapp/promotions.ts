import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { apiVersion, group, version } from "../../api/group.ts";
import type {
  FailoverPolicy,
  MemberCluster,
  RegionalApp,
  ReplicaPromotion,
} from "../../api/types.generated.ts";
import type { FailoverInputs } from "../../failover/decide-failover.ts";
import type { Informer } from "../../runtime/informer.ts";

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
  const lastStarted = app.status?.lastFailover?.startedAt;
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
    guardsLag: app.spec.database.engine !== "none",
    maxLagBytes: policy.spec.promotion.maxLagBytes,
    allowDataLoss: policy.spec.promotion.allowDataLoss,
    minHealthyRegions: policy.spec.minHealthyRegions,
    minSecondsBetweenFailovers: policy.spec.minSecondsBetweenFailovers,
    ...(policy.spec.allowedJurisdictions ? { allowedJurisdictions: policy.spec.allowedJurisdictions } : {}),
    ...(lastStarted ? { lastFailoverAt: Date.parse(lastStarted) } : {}),
    promotionInProgress,
    now,
  };
}

/**
 * Creates the ReplicaPromotion that records and drives a failover or switchover. Its name is
 * derived from the app's epoch and its count of promotions, so a retried reconcile finds the one it
 * made (AlreadyExists) instead of starting a second.
 */
export async function createPromotion(
  hub: KubeConfig,
  promotions: Informer<ReplicaPromotion>,
  app: RegionalApp,
  spec: { type: "Failover" | "Switchover"; targetRegion: string; approved: boolean; reason: string },
): Promise<string> {
  const namespace = app.metadata?.namespace ?? "";
  const appName = app.metadata?.name ?? "";
  const count = promotions.list(namespace).filter((p) => p.spec.appRef.name === appName).length;
  const name = `${appName}-${spec.type.toLowerCase()}-${(app.status?.epoch ?? 0) + 1}-${count + 1}`;
  const body = {
    apiVersion,
    kind: "ReplicaPromotion",
    metadata: {
      name,
      namespace,
      ownerReferences: [{ apiVersion, kind: "RegionalApp", name: appName, uid: app.metadata?.uid ?? "" }],
    },
    spec: { appRef: { name: appName }, allowDataLoss: false, dryRun: false, ...spec },
  };
  await hub
    .makeApiClient(CustomObjectsApi)
    .createNamespacedCustomObject({ group, version, namespace, plural: "replicapromotions", body })
    .catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  return name;
}
