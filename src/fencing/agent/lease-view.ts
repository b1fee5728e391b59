import type { V1Lease } from "@kubernetes/client-node";
import {
  appLabel,
  databaseSecretAnnotation,
  leaseEpoch,
  renewDeadlineAnnotation,
  workloadAnnotation,
} from "../lease.ts";
import type { WorkloadRef } from "../workload.ts";

/** The part of a fencing Lease the agent keeps in its cache and decides on. */
export interface LeaseView {
  namespace: string;
  name: string;
  uid: string | undefined;
  app: string;
  holder: string | undefined;
  epoch: number;
  renewTimeMs: number | undefined;
  renewDeadlineMs: number;
  /** Undefined when the annotation is missing or malformed (workloadAnnotationText says which). */
  workload: WorkloadRef | undefined;
  workloadAnnotationText: string | undefined;
  databaseSecret: string | undefined;
}

/** The renew deadline when the hub sets none: client-go's leader election ratio (10 s of 15 s). */
const defaultDeadlineRatio = 2 / 3;
/** Kubernetes' own default when a Lease carries no duration. */
const defaultLeaseDurationSeconds = 15;

export function leaseView(lease: V1Lease): LeaseView {
  const annotations = lease.metadata?.annotations ?? {};
  const workloadText = annotations[workloadAnnotation];
  return {
    namespace: lease.metadata?.namespace ?? "",
    name: lease.metadata?.name ?? "",
    uid: lease.metadata?.uid,
    app: lease.metadata?.labels?.[appLabel] ?? "",
    holder: lease.spec?.holderIdentity || undefined,
    epoch: leaseEpoch(lease),
    renewTimeMs: timeMs(lease.spec?.renewTime),
    renewDeadlineMs: renewDeadlineSeconds(lease) * 1000,
    workload: workloadText === undefined ? undefined : parseWorkloadRef(workloadText),
    workloadAnnotationText: workloadText,
    databaseSecret: annotations[databaseSecretAnnotation] || undefined,
  };
}

function renewDeadlineSeconds(lease: V1Lease): number {
  const fromHub = Number(lease.metadata?.annotations?.[renewDeadlineAnnotation]);
  if (Number.isFinite(fromHub) && fromHub > 0) return fromHub;
  return (lease.spec?.leaseDurationSeconds ?? defaultLeaseDurationSeconds) * defaultDeadlineRatio;
}

/** A listed Lease carries Dates, a watched one RFC 3339 strings. */
function timeMs(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/** "Deployment/<namespace>/<name>" or "StatefulSet/<namespace>/<name>"; undefined otherwise. */
export function parseWorkloadRef(text: string): WorkloadRef | undefined {
  const [kind, namespace, name, ...rest] = text.split("/");
  if (rest.length > 0 || !namespace || !name) return undefined;
  if (kind !== "Deployment" && kind !== "StatefulSet") return undefined;
  return { kind, namespace, name };
}
