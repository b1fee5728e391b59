import { AppsV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { group, version } from "../../src/api/group.ts";
import { applyCrds, crdsNotEstablished } from "../../src/api/install.ts";
import type { MemberCluster, RegionalApp } from "../../src/api/types.generated.ts";
import { pollUntil } from "./poll.ts";
import { kubeConfigFor, type Region } from "./testbed.ts";
import { deployment } from "./workloads.ts";

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

/**
 * Deletes every MemberCluster in the hub: tests that count voters (one agent per MemberCluster)
 * must not see another file's leftovers. Polls first: a CRD just established may answer 429.
 */
export async function deleteAllMemberClusters(hub: Region): Promise<void> {
  const api = custom(hub);
  const list = await pollUntil(
    "MemberClusters listed",
    30_000,
    async () =>
      (await api.listClusterCustomObject({ group, version, plural: "memberclusters" })) as {
        items: MemberCluster[];
      },
    500,
  );
  for (const mc of list.items) {
    await api.deleteClusterCustomObject({
      group,
      version,
      plural: "memberclusters",
      name: mc.metadata?.name ?? "",
    });
  }
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

const apiVersion = `${group}/${version}`;

export interface HealthCheckSettings {
  intervalSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
}

export async function createPolicy(
  hub: Region,
  namespace: string,
  name: string,
  healthCheck: HealthCheckSettings,
) {
  await createObject(
    hub,
    "failoverpolicies",
    { apiVersion, kind: "FailoverPolicy", metadata: { name }, spec: { healthCheck } },
    namespace,
  );
}

/** One region of a test RegionalApp: where it runs and which Deployment is its workload. */
export interface AppRegion {
  name: string;
  clusterRef: string;
  workload: string;
}

/**
 * A RegionalApp over `regions` (the first is the primary, priorities in order), with a DNSEndpoint
 * provider in its own namespace and no database: what the health tests need.
 */
export function regionalApp(name: string, namespace: string, policy: string, regions: AppRegion[]) {
  return {
    apiVersion,
    kind: "RegionalApp",
    metadata: { name },
    spec: {
      policyRef: { name: policy },
      primaryRegion: regions[0]?.name,
      regions: regions.map((r, i) => ({
        name: r.name,
        clusterRef: r.clusterRef,
        priority: i + 1,
        workload: { kind: "Deployment", namespace, name: r.workload },
        endpoint: `203.0.113.${10 + i}`,
      })),
      dns: { hostname: `${name}.example.test`, provider: { dnsEndpoint: { namespace } } },
      database: { engine: "none" },
    },
  };
}

/** How a test installs Meridian: by default the CRDs from src/ and the test bed's admin credentials. */
export interface InstallOptions {
  /** False when the CRDs are already there (the Helm chart installed them). */
  installCrds?: boolean;
  /** The regions as the hub operator reaches them (same names), e.g. with a ServiceAccount's token. */
  memberAccess?: Region[];
}

/**
 * The usual start of an operator test: CRDs in the hub, every region registered as a MemberCluster
 * named `<namespace>-<region>`, and a Deployment `workload` in each region. Returns the names.
 */
export async function setUpRegions(
  hub: Region,
  namespace: string,
  regions: Region[],
  workload: string,
  replicas: number,
  opts: InstallOptions = {},
) {
  if (opts.installCrds !== false) await installCrds(hub);
  const clusters = await registerRegions(hub, namespace, namespace, opts.memberAccess ?? regions);
  for (const r of regions) {
    await kubeConfigFor(r)
      .makeApiClient(AppsV1Api)
      .createNamespacedDeployment({ namespace, body: deployment(workload, namespace, replicas) });
  }
  return clusters;
}
