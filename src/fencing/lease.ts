import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { isNotFound } from "../runtime/api-errors.ts";
import { MicroTime } from "../runtime/micro-time.ts";
import type { WorkloadRef } from "./workload.ts";

/** The annotation on a fencing Lease that carries the epoch (the fencing token). */
export const epochAnnotation = "meridian.dev/epoch";
/** Label on every fencing Lease, so the agent watches only those. */
export const appLabel = "meridian.dev/app";

/** What the region's agent fences: "Deployment/<namespace>/<name>" or "StatefulSet/<namespace>/<name>". */
export const workloadAnnotation = "meridian.dev/workload";
/** A Secret in the Lease's namespace whose key `uri` reaches the region's database. */
export const databaseSecretAnnotation = "meridian.dev/database-secret";
/** Seconds after renewTime the agent waits before it treats the Lease as lapsed. */
export const renewDeadlineAnnotation = "meridian.dev/renew-deadline-seconds";

/** What the hub tells the region's agent, so it can fence on its own when the hub goes quiet. */
export interface FencingLeaseAnnotations {
  workload?: WorkloadRef;
  databaseSecret?: string;
  renewDeadlineSeconds?: number;
}

export const formatWorkloadRef = (w: WorkloadRef) => `${w.kind}/${w.namespace}/${w.name}`;

function annotationsFor(a: FencingLeaseAnnotations): Record<string, string> {
  const out: Record<string, string> = {};
  if (a.workload) out[workloadAnnotation] = formatWorkloadRef(a.workload);
  if (a.databaseSecret) out[databaseSecretAnnotation] = a.databaseSecret;
  if (a.renewDeadlineSeconds !== undefined) out[renewDeadlineAnnotation] = String(a.renewDeadlineSeconds);
  return out;
}

export interface FencingLeaseRef {
  namespace: string;
  /** The RegionalApp's name; the Lease is meridian-<app>. */
  app: string;
}

export const leaseName = (app: string) => `meridian-${app}`;

export function leaseEpoch(lease: V1Lease | undefined): number {
  return Number(lease?.metadata?.annotations?.[epochAnnotation] ?? 0);
}

/** Thrown when the Lease already carries a newer epoch: whoever wrote it is in charge, not us. */
export class StaleEpochError extends Error {}

/**
 * Writes the fencing Lease in a member cluster: held by `holder` (a region name) at `epoch`,
 * renewed now. The epoch never goes down: a writer with an older epoch is refused, which keeps a
 * stale hub (a deposed leader, a restored backup) from reviving a fenced primary. `annotations`
 * tell the region's agent what to fence and when (see docs/agent.md).
 */
export async function writeFencingLease(
  kc: KubeConfig,
  ref: FencingLeaseRef,
  holder: string,
  epoch: number,
  durationSeconds: number,
  now: number,
  annotations: FencingLeaseAnnotations = {},
): Promise<void> {
  const api = kc.makeApiClient(CoordinationV1Api);
  const name = leaseName(ref.app);
  let current: V1Lease | undefined;
  try {
    current = await api.readNamespacedLease({ name, namespace: ref.namespace });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (leaseEpoch(current) > epoch) {
    throw new StaleEpochError(
      `Lease ${ref.namespace}/${name} carries epoch ${leaseEpoch(current)}, newer than ours (${epoch})`,
    );
  }
  const changedHolder = current?.spec?.holderIdentity !== holder;
  const body: V1Lease = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      ...current?.metadata,
      name,
      namespace: ref.namespace,
      labels: { ...current?.metadata?.labels, [appLabel]: ref.app },
      annotations: {
        ...current?.metadata?.annotations,
        ...annotationsFor(annotations),
        [epochAnnotation]: String(epoch),
      },
    },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: durationSeconds,
      renewTime: new MicroTime(now),
      acquireTime: changedHolder ? new MicroTime(now) : new MicroTime(current?.spec?.acquireTime ?? now),
      leaseTransitions: (current?.spec?.leaseTransitions ?? 0) + (current && changedHolder ? 1 : 0),
    },
  };
  // The read resourceVersion makes this a compare-and-swap: a concurrent writer makes it fail.
  if (current) await api.replaceNamespacedLease({ name, namespace: ref.namespace, body });
  else await api.createNamespacedLease({ namespace: ref.namespace, body });
}
