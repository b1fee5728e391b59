// One step of the job engine as a Kubernetes Job in a member cluster: its name (stable for the
// app, step and epoch, so a restarted operator finds the Job it started instead of starting a
// second one), its manifest, its outcome read from the Job's conditions, and the tail of its logs.
import { createHash } from "node:crypto";
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job } from "@kubernetes/client-node";
import type { JobStepTemplate } from "../../api/types.generated.ts";
import { describeApiError, isConflict, isNotFound } from "../../runtime/api-errors.ts";

export type JobStep = "fence" | "promote" | "lag";

export interface JobRun {
  kc: KubeConfig;
  namespace: string;
  app: { namespace: string; name: string };
  step: JobStep;
  epoch: number;
  /** Where the Job runs, and the move it belongs to. */
  region: string;
  from: string;
  to: string;
  template: JobStepTemplate;
  /** Extra variables for this run (the lag guard, for a promote Job). */
  env?: Record<string, string>;
}

export type JobOutcome =
  | { state: "missing" }
  | { state: "running"; name: string }
  | { state: "succeeded"; name: string }
  | { state: "failed"; name: string; why: string };

const appLabel = "meridian.dev/app";

/** `meridian-<app>-<step>-e<epoch>`, shortened with a hash when it would exceed a label value's 63 characters. */
export function jobName(app: { namespace: string; name: string }, step: JobStep, epoch: number): string {
  const suffix = `-${step}-e${epoch}`;
  const full = `meridian-${app.name}${suffix}`;
  if (full.length <= 63) return full;
  const hash = createHash("sha256").update(`${app.namespace}/${app.name}`).digest("hex").slice(0, 8);
  return `meridian-${app.name.slice(0, 63 - 9 - suffix.length - 9).replace(/-+$/, "")}-${hash}${suffix}`;
}

export function jobManifest(run: JobRun): V1Job {
  const name = jobName(run.app, run.step, run.epoch);
  const labels = {
    "app.kubernetes.io/managed-by": "meridian",
    [appLabel]: run.app.name,
    "meridian.dev/step": run.step,
    "meridian.dev/epoch": String(run.epoch),
  };
  const env = {
    MERIDIAN_STEP: run.step,
    MERIDIAN_EPOCH: String(run.epoch),
    MERIDIAN_APP: run.app.name,
    MERIDIAN_APP_NAMESPACE: run.app.namespace,
    MERIDIAN_REGION: run.region,
    MERIDIAN_FROM_REGION: run.from,
    MERIDIAN_TO_REGION: run.to,
    ...run.env,
  };
  const t = run.template;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: run.namespace, labels },
    spec: {
      // One attempt: whether to try again is the promotion's decision, and a failure must show.
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          ...(t.serviceAccountName ? { serviceAccountName: t.serviceAccountName } : {}),
          containers: [
            {
              name: run.step,
              image: t.image,
              ...(t.command ? { command: t.command } : {}),
              ...(t.args ? { args: t.args } : {}),
              // Meridian's variables last: a template cannot override the epoch it runs for.
              env: [
                ...(t.env ?? [])
                  .filter((e) => !(e.name in env))
                  .map((e) => ({ name: e.name, value: e.value ?? "" })),
                ...Object.entries(env).map(([n, value]) => ({ name: n, value })),
              ],
            },
          ],
        },
      },
    },
  };
}

/** Starts the run's Job unless it exists (created earlier, perhaps by an operator since restarted). */
export async function ensureJob(run: JobRun): Promise<JobOutcome> {
  const found = await readOutcome(run);
  if (found.state !== "missing") return found;
  const batch = run.kc.makeApiClient(BatchV1Api);
  try {
    await batch.createNamespacedJob({ namespace: run.namespace, body: jobManifest(run) });
  } catch (err) {
    if (!isConflict(err)) throw err; // created meanwhile: read it below
  }
  return readOutcome(run);
}

/** The run's Job as it is now: missing, running, succeeded, or failed with the reason and its logs' tail. */
export async function readOutcome(run: JobRun): Promise<JobOutcome> {
  const name = jobName(run.app, run.step, run.epoch);
  let job: V1Job;
  try {
    job = await run.kc.makeApiClient(BatchV1Api).readNamespacedJob({ name, namespace: run.namespace });
  } catch (err) {
    if (isNotFound(err)) return { state: "missing" };
    throw err;
  }
  if (job.metadata?.labels?.[appLabel] !== run.app.name) {
    throw new Error(
      `Job ${run.namespace}/${name} in region ${run.region} exists but was not created by Meridian for ${run.app.name}; rename or delete it`,
    );
  }
  const condition = (type: string) =>
    job.status?.conditions?.find((c) => c.type === type && c.status === "True");
  if (condition("Complete")) return { state: "succeeded", name };
  const failed = condition("Failed");
  if (failed) {
    const why = `${failed.reason ?? "Failed"}${failed.message ? `: ${failed.message}` : ""}`;
    return { state: "failed", name, why: `${why}; ${await podReport(run, name)}` };
  }
  return { state: "running", name };
}

const logChars = 600;

/**
 * How the Job's last pod ended and the tail of its log. A pod without logs (deleted, or a node
 * that serves none, as kwok's) is said so rather than failing the report.
 */
async function podReport(run: JobRun, job: string): Promise<string> {
  const core = run.kc.makeApiClient(CoreV1Api);
  const pods = await core
    .listNamespacedPod({ namespace: run.namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` })
    .catch(() => undefined);
  const pod = pods?.items
    .slice()
    .sort((a, b) =>
      String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)),
    )
    .at(-1);
  if (!pod?.metadata?.name) return "no pod left to read logs from";
  const ended = pod.status?.containerStatuses?.[0]?.state?.terminated;
  const exit = ended
    ? `container exited ${ended.exitCode}${ended.reason ? ` (${ended.reason})` : ""}${ended.message ? `: ${ended.message}` : ""}`
    : `pod ${pod.status?.phase ?? "in an unknown phase"}`;
  let logs: string;
  try {
    const text = await core.readNamespacedPodLog({
      name: pod.metadata.name,
      namespace: run.namespace,
      container: run.step,
      tailLines: 20,
    });
    logs = text.trim() ? `last log lines: ${text.trim().slice(-logChars)}` : "its log is empty";
  } catch (err) {
    logs = `no logs available (${describeApiError(err).slice(0, 160)})`;
  }
  return `pod ${pod.metadata.name}: ${exit}; ${logs}`;
}
