import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import {
  conditionTime,
  findCondition,
  type Progress,
  setCondition,
  setProgress,
} from "../../api/conditions.ts";
import { apiVersion, group, version } from "../../api/group.ts";
import { MemberClusterCondition, Reason } from "../../api/reasons.ts";
import type { ConditionStatus, MemberCluster, MemberClusterStatus } from "../../api/types.generated.ts";
import { loadMemberKubeconfig } from "../../clusters/kubeconfig.ts";
import type { ClusterRegistry } from "../../clusters/registry.ts";
import { describeApiError, isNotFound, statusCode } from "../../runtime/api-errors.ts";
import type { ReconcileContext, Reconciler } from "../../runtime/controller.ts";
import { ConfigurationError } from "../../runtime/errors.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import type { StatusWriter } from "../../runtime/status-writer.ts";

export interface MemberClusterDeps {
  hub: KubeConfig;
  clusters: Informer<MemberCluster>;
  registry: ClusterRegistry;
  status: StatusWriter;
  events: EventRecorder<Reason>;
  now?: () => Date;
}

type Problem = { reason: Reason; message: string };

/**
 * Keeps the registry's client for a MemberCluster in line with its kubeconfig Secret, and records
 * each probe of the cluster in status: Reachable (the API server answered /readyz) and Ready
 * (a usable client and a reachable cluster), serverVersion, apiLatencyMs and lastProbeTime.
 * The registry enqueues the cluster after every probe, so a change of reachability is recorded
 * within one interval; the probe's time and latency alone are refreshed every 30 s (a write per
 * cluster per probe would be the hub's steadiest write load).
 */
export class MemberClusterReconciler implements Reconciler {
  readonly name = "membercluster";
  private readonly deps: MemberClusterDeps;
  private readonly core: CoreV1Api;

  constructor(deps: MemberClusterDeps) {
    this.deps = deps;
    this.core = deps.hub.makeApiClient(CoreV1Api);
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<undefined> {
    const { clusters, registry } = this.deps;
    const mc = clusters.get(key);
    if (!mc) {
      registry.remove(key);
      return undefined;
    }
    const loaded = await this.loadClient(mc);
    if ("reason" in loaded) {
      registry.remove(key);
      await this.record(mc, ctx, { reachable: undefined, problem: loaded });
      throw new ConfigurationError(loaded.message);
    }
    registry.upsert(key, loaded.kc, loaded.fingerprint);
    const probe = registry.get(key)?.probe;
    await this.record(mc, ctx, {
      reachable: probe?.reachable,
      problem:
        probe && !probe.reachable
          ? { reason: Reason.ApiServerUnreachable, message: probe.error ?? "" }
          : undefined,
      probe,
    });
    return undefined;
  }

  /** Reads the Secret and builds a client, or says what the user must fix. */
  private async loadClient(mc: MemberCluster): Promise<{ kc: KubeConfig; fingerprint: string } | Problem> {
    const ref = mc.spec.kubeconfigSecretRef;
    const where = `Secret ${ref.namespace}/${ref.name}`;
    let secret: Awaited<ReturnType<CoreV1Api["readNamespacedSecret"]>>;
    try {
      secret = await this.core.readNamespacedSecret({ name: ref.name, namespace: ref.namespace });
    } catch (err) {
      if (isNotFound(err)) {
        return {
          reason: Reason.KubeconfigSecretNotFound,
          message: `${where} not found; create it with: kubectl create secret generic ${ref.name} -n ${ref.namespace} --from-file=${ref.key}=<kubeconfig>`,
        };
      }
      if (statusCode(err) === 403) {
        return {
          reason: Reason.KubeconfigSecretNotFound,
          message: `the operator may not read ${where} (${describeApiError(err)}); grant it get on secrets there`,
        };
      }
      throw err; // transient: retried with the fast backoff
    }
    const data = secret.data?.[ref.key];
    if (!data) {
      const keys = Object.keys(secret.data ?? {}).join(", ") || "none";
      return {
        reason: Reason.KubeconfigInvalid,
        message: `${where} has no key "${ref.key}" (keys: ${keys}); set spec.kubeconfigSecretRef.key`,
      };
    }
    const text = Buffer.from(data, "base64").toString("utf8");
    const loaded = loadMemberKubeconfig(text, `${where} key ${ref.key}`, mc.spec.allowExecAuth);
    if (!loaded.ok) return loaded.problem;
    const fingerprint = [secret.metadata?.resourceVersion, ref.key, mc.spec.allowExecAuth].join("|");
    return { kc: loaded.kc, fingerprint };
  }

  /** Writes status (only if it changed) and an Event when readiness flips or its reason changes. */
  private async record(mc: MemberCluster, ctx: ReconcileContext, seen: Seen): Promise<void> {
    const now = (this.deps.now ?? (() => new Date()))();
    const generation = mc.metadata?.generation ?? 0;
    const before = mc.status?.conditions;
    const verdict = judge(seen);
    const reachable = setCondition(
      before,
      { type: MemberClusterCondition.Reachable, observedGeneration: generation, ...verdict.reachable },
      now,
    );
    const ready = setCondition(
      reachable,
      { type: MemberClusterCondition.Ready, observedGeneration: generation, ...verdict.ready },
      now,
    );
    const conditions = setProgress(ready, clusterProgress(verdict.ready), generation, now);
    const { probe } = seen;
    const status: MemberClusterStatus = {
      observedGeneration: generation,
      conditions,
      ...(probe?.serverVersion ? { serverVersion: probe.serverVersion } : {}),
      ...(probe ? { apiLatencyMs: probe.latencyMs, lastProbeTime: conditionTime(new Date(probe.at)) } : {}),
    };
    if (ctx.signal.aborted) return; // no longer the leader: another replica records from now on
    const name = mc.metadata?.name ?? "";
    // Compared by content: a condition helper may return a new array with equal conditions.
    const changed = JSON.stringify(conditions) !== JSON.stringify(before);
    if (changed || probeWorthWriting(mc.status, probe, now.getTime())) {
      await this.deps.status.apply({ ...memberClusterResource, name }, status);
    }
    const wasReady = findCondition(before, MemberClusterCondition.Ready);
    if (
      verdict.ready.status !== "Unknown" &&
      (wasReady?.status !== verdict.ready.status || wasReady.reason !== verdict.ready.reason)
    ) {
      const subject = { apiVersion, kind: "MemberCluster", name, uid: mc.metadata?.uid };
      const type = verdict.ready.status === "True" ? "Normal" : "Warning";
      await this.deps.events.record(subject, type, verdict.ready.reason, "Probe", verdict.ready.message);
      ctx.log.info({ ready: verdict.ready.status, reason: verdict.ready.reason }, verdict.ready.message);
    }
  }
}

const memberClusterResource = { group, version, kind: "MemberCluster", plural: "memberclusters" };

interface Seen {
  /** Undefined before the first probe, or when there is no usable client to probe with. */
  reachable: boolean | undefined;
  problem: Problem | undefined;
  probe?: { latencyMs: number; serverVersion?: string; at: number };
}

type Verdict = { status: ConditionStatus; reason: Reason; message: string };

/** The two conditions for what was seen: a configuration problem wins over reachability. */
function judge({ reachable, problem, probe }: Seen): { reachable: Verdict; ready: Verdict } {
  if (reachable) {
    return {
      reachable: {
        status: "True",
        reason: Reason.ApiServerReachable,
        message: `API server answered /readyz in ${probe?.latencyMs} ms`,
      },
      ready: {
        status: "True",
        reason: Reason.ApiServerReachable,
        message: "cluster is reachable with the configured credentials",
      },
    };
  }
  if (problem) {
    // Without a usable client, reachability is unknown; the problem is what keeps it from Ready.
    const unknown = reachable === undefined;
    return {
      reachable: { status: unknown ? "Unknown" : "False", reason: problem.reason, message: problem.message },
      ready: { status: "False", reason: problem.reason, message: problem.message },
    };
  }
  const pending = {
    status: "Unknown" as const,
    reason: Reason.ProbePending,
    message: "waiting for the first probe",
  };
  return { reachable: pending, ready: pending };
}

/**
 * Reconciling until the first probe, then Stalled whenever the cluster is not Ready: a bad
 * kubeconfig or Secret needs a person, and so does an API server that does not answer (retrying
 * goes on, but a kstatus wait should end with the reason, not time out).
 */
function clusterProgress(ready: Verdict): Progress {
  const state = ready.status === "True" ? "Done" : ready.status === "False" ? "Stalled" : "Reconciling";
  return { state, reason: ready.reason, message: ready.message };
}

/** lastProbeTime and apiLatencyMs alone are rewritten this often. */
const probeRecordMs = 30_000;

/** Whether the probe is news for status: a first probe, a new server version, or a stale lastProbeTime. */
function probeWorthWriting(
  before: MemberClusterStatus | undefined,
  probe: Seen["probe"],
  nowMs: number,
): boolean {
  if (!probe) return false;
  if (probe.serverVersion && probe.serverVersion !== before?.serverVersion) return true;
  const last = before?.lastProbeTime ? Date.parse(before.lastProbeTime) : Number.NaN;
  return !(nowMs - last < probeRecordMs);
}
