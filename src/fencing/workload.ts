import { AppsV1Api, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";

/** Where the replica count before a fence is kept, so failback or a promotion can restore it. */
export const replicasBeforeFenceAnnotation = "meridian.dev/replicas-before-fence";

export interface WorkloadRef {
  kind: "Deployment" | "StatefulSet";
  namespace: string;
  name: string;
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

async function read(kc: KubeConfig, w: WorkloadRef) {
  const api = kc.makeApiClient(AppsV1Api);
  return w.kind === "Deployment"
    ? api.readNamespacedDeployment({ name: w.name, namespace: w.namespace })
    : api.readNamespacedStatefulSet({ name: w.name, namespace: w.namespace });
}

async function patch(kc: KubeConfig, w: WorkloadRef, body: object): Promise<void> {
  const api = kc.makeApiClient(AppsV1Api);
  const req = { name: w.name, namespace: w.namespace, body };
  if (w.kind === "Deployment") await api.patchNamespacedDeployment(req, mergePatch);
  else await api.patchNamespacedStatefulSet(req, mergePatch);
}

/** The size recorded when the workload was fenced, or undefined when nothing fenced it. */
export async function readReplicasBeforeFence(kc: KubeConfig, w: WorkloadRef): Promise<number | undefined> {
  const recorded = (await read(kc, w)).metadata?.annotations?.[replicasBeforeFenceAnnotation];
  return recorded === undefined ? undefined : Number(recorded);
}

/**
 * Scales a workload to zero, remembering its size in an annotation (the first fence wins, so a
 * repeated fence never records zero). Returns the size it had. Idempotent.
 */
export async function scaleToZero(kc: KubeConfig, w: WorkloadRef): Promise<number> {
  const current = await read(kc, w);
  const recorded = current.metadata?.annotations?.[replicasBeforeFenceAnnotation];
  const before = recorded !== undefined ? Number(recorded) : (current.spec?.replicas ?? 1);
  if (current.spec?.replicas === 0 && recorded !== undefined) return before;
  await patch(kc, w, {
    metadata: { annotations: { [replicasBeforeFenceAnnotation]: String(before) } },
    spec: { replicas: 0 },
  });
  return before;
}

/** Scales a workload up to at least `replicas` (never down) and clears a fence annotation. Idempotent. */
export async function scaleUpTo(kc: KubeConfig, w: WorkloadRef, replicas: number): Promise<void> {
  const current = await read(kc, w);
  const size = Math.max(current.spec?.replicas ?? 0, replicas);
  const fenced = current.metadata?.annotations?.[replicasBeforeFenceAnnotation] !== undefined;
  if (size === current.spec?.replicas && !fenced) return;
  await patch(kc, w, {
    metadata: { annotations: { [replicasBeforeFenceAnnotation]: null } },
    spec: { replicas: size },
  });
}
