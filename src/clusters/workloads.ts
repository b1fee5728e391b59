import type { V1Deployment, V1StatefulSet } from "@kubernetes/client-node";

export type WorkloadKind = "Deployment" | "StatefulSet";

/** What health needs of a workload; the cache keeps only this, never the whole object. */
export interface WorkloadView {
  kind: WorkloadKind;
  replicas: number;
  availableReplicas: number;
  /** For Deployments: the Available condition, which honours the rollout's maxUnavailable. */
  availableCondition?: boolean;
}

export function summarize(kind: WorkloadKind, w: V1Deployment | V1StatefulSet): WorkloadView {
  const replicas = w.spec?.replicas ?? 1;
  const availableReplicas = w.status?.availableReplicas ?? 0;
  if (kind === "StatefulSet") return { kind, replicas, availableReplicas };
  const available = (w.status?.conditions ?? []).find((c) => c.type === "Available");
  return {
    kind,
    replicas,
    availableReplicas,
    ...(available ? { availableCondition: available.status === "True" } : {}),
  };
}
