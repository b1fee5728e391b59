import { CustomObjectsApi, type KubeConfig, type KubernetesListObject } from "@kubernetes/client-node";
import { group, version } from "../api/group.ts";
import type { FailoverPolicy, MemberCluster, RegionalApp, ReplicaPromotion } from "../api/types.generated.ts";
import { Informer } from "../runtime/informer.ts";
import type { Logger } from "../runtime/logger.ts";

export type MeridianObject = MemberCluster | FailoverPolicy | RegionalApp | ReplicaPromotion;

/** A cache of one Meridian kind in the hub, across all namespaces. */
export function meridianInformer<T extends MeridianObject>(
  kc: KubeConfig,
  plural: string,
  log: Logger,
  resyncMs?: number,
): Informer<T> {
  const api = kc.makeApiClient(CustomObjectsApi);
  return new Informer<T>({
    kc,
    path: `/apis/${group}/${version}/${plural}`,
    list: async () =>
      (await api.listClusterCustomObject({ group, version, plural })) as KubernetesListObject<T>,
    log: log.child({ watch: plural }),
    project: withoutManagedFields,
    resyncMs,
  });
}

/**
 * Server-side apply's managedFields are often the biggest part of an object and the operator
 * never reads them; with a thousand apps, not keeping them is most of the cache's memory.
 */
function withoutManagedFields<T extends MeridianObject>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
