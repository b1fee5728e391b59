import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { group, version } from "../../src/api/group.ts";
import { applyCrds, crdsNotEstablished } from "../../src/api/install.ts";
import type { MemberCluster, RegionalApp } from "../../src/api/types.generated.ts";
import { pollUntil } from "./poll.ts";
import { kubeConfigFor, type Region } from "./testbed.ts";

/** Installs Meridian's CRDs in the hub and waits until they are served. */
export async function installCrds(hub: Region): Promise<void> {
  const kc = kubeConfigFor(hub);
  await applyCrds(kc);
  await pollUntil("CRDs established", 30_000, async () => (await crdsNotEstablished(kc)).length === 0);
}

export function custom(hub: Region): CustomObjectsApi {
  return kubeConfigFor(hub).makeApiClient(CustomObjectsApi);
}

/** Creates a Meridian object (namespaced when `namespace` is given). */
export async function createObject(
  hub: Region,
  plural: string,
  body: object,
  namespace?: string,
): Promise<void> {
  const api = custom(hub);
  if (namespace) await api.createNamespacedCustomObject({ group, version, plural, namespace, body });
  else await api.createClusterCustomObject({ group, version, plural, body });
}

export async function getObject<T>(
  hub: Region,
  plural: string,
  name: string,
  namespace?: string,
): Promise<T> {
  const api = custom(hub);
  return (
    namespace
      ? await api.getNamespacedCustomObject({ group, version, plural, namespace, name })
      : await api.getClusterCustomObject({ group, version, plural, name })
  ) as T;
}

export const getMemberCluster = (hub: Region, name: string) =>
  getObject<MemberCluster>(hub, "memberclusters", name);
export const getApp = (hub: Region, namespace: string, name: string) =>
  getObject<RegionalApp>(hub, "regionalapps", name, namespace);

/**
 * Registers regions as MemberClusters named `<prefix>-<region>`, each with a kubeconfig Secret in
 * `namespace` of the hub. Returns the MemberCluster names by region.
 */
export async function registerRegions(hub: Region, namespace: string, prefix: string, regions: Region[]) {
  const core = kubeConfigFor(hub).makeApiClient(CoreV1Api);
  const names: Record<string, string> = {};
  for (const r of regions) {
    const name = `${prefix}-${r.name}`;
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: `${name}-kubeconfig` }, stringData: { kubeconfig: r.kubeconfig } },
    });
    await createObject(hub, "memberclusters", {
      apiVersion: `${group}/${version}`,
      kind: "MemberCluster",
      metadata: { name },
      spec: { region: r.name, kubeconfigSecretRef: { namespace, name: `${name}-kubeconfig` } },
    });
    names[r.name] = name;
  }
  return names;
}

/** Deletes every MemberCluster whose name starts with `prefix-` (they are cluster-scoped). */
export async function deleteMemberClusters(hub: Region, prefix: string): Promise<void> {
  const api = custom(hub);
  const list = (await api.listClusterCustomObject({ group, version, plural: "memberclusters" })) as {
    items: MemberCluster[];
  };
  for (const mc of list.items) {
    const name = mc.metadata?.name ?? "";
    if (name.startsWith(`${prefix}-`))
      await api.deleteClusterCustomObject({ group, version, plural: "memberclusters", name });
  }
}
