import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { binariesDir } from "./binaries.ts";

const run = promisify(execFile);

/** The chart under test. */
export const chartDir = resolve(import.meta.dirname, "../../charts/meridian");

/** A rendered Kubernetes object, loosely typed: tests look at whichever fields they check. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests of every kind
  [field: string]: any;
}

/**
 * Runs the pinned helm. `kubeconfig` points it at a cluster; without one, commands that need no
 * cluster still work. Rejects with helm's stderr.
 */
export async function helm(args: string[], kubeconfig?: string): Promise<string> {
  const bin = resolve(await binariesDir(), "helm");
  const home = await mkdtemp(join(tmpdir(), "meridian-helm-"));
  try {
    const { stdout } = await run(bin, args, {
      env: {
        ...process.env,
        // Its own config and cache: helm must not read or write the user's repositories.
        HELM_CONFIG_HOME: home,
        HELM_CACHE_HOME: home,
        HELM_DATA_HOME: home,
        ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`helm ${args.slice(0, 2).join(" ")} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/**
 * The Kubernetes version of the test bed's binaries: helm template must be told (a helm built
 * from the Go proxy believes it is v1.20, below the chart's kubeVersion).
 */
export async function kubeVersion(): Promise<string> {
  const match = /k8s-v(\d+\.\d+\.\d+)/.exec(basename(await binariesDir()));
  return match?.[1] ?? "1.36.3";
}

/** Writes values to a file helm can read with -f. */
export async function valuesFile(values: object): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "meridian-values-")), "values.yaml");
  await writeFile(path, stringify(values));
  return path;
}

/** Renders the chart with `values` into objects, as `helm template` does. */
export async function renderChart(
  values: object,
  opts: { release?: string; namespace?: string } = {},
): Promise<K8sObject[]> {
  const out = await helm([
    "template",
    opts.release ?? "meridian",
    chartDir,
    "--namespace",
    opts.namespace ?? "meridian-system",
    "--kube-version",
    await kubeVersion(),
    "-f",
    await valuesFile(values),
  ]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** Runs helm against `region` with its admin kubeconfig (what a cluster admin installs with). */
export async function helmIn(region: { kubeconfig: string }, args: string[]): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "meridian-helm-kc-")), "kubeconfig");
  await writeFile(path, region.kubeconfig, { mode: 0o600 });
  return helm(args, path);
}
