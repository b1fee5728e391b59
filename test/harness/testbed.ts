import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { probeCluster } from "../../src/clusters/probe.ts";
import { flattenKubeconfig } from "./kubeconfig.ts";
import { pollUntil } from "./poll.ts";

const run = promisify(execFile);

/** One region of the test bed: a real control plane started by kwokctl. */
export interface Region {
  name: string;
  /** kwokctl's name for the cluster. */
  cluster: string;
  /** kubeconfig with certificates embedded, usable from a Secret. */
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
}

const clusterPrefix = "meridian-";
/** kwok-controller's stages: kwok's defaults and one that fails Job pods on demand. */
const kwokStages = resolve(import.meta.dirname, "../fixtures/kwok/stages.yaml");

/** Shared by every test bed on the machine (see `kwokctl`). */
const portLock = resolve(tmpdir(), "meridian-kwokctl-ports.lock");

/**
 * Local multi-region test bed: one kwok cluster (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, kwok-controller as local processes) per region. All state lives under
 * `workdir`, so `down()` can find and remove clusters left behind by an interrupted run.
 */
export class Testbed {
  readonly binDir: string;
  readonly workdir: string;

  /** `MERIDIAN_TESTBED_DIR` lets two test runs on one machine keep apart (each removes its own leftovers). */
  constructor(
    binDir: string,
    workdir: string = process.env.MERIDIAN_TESTBED_DIR ?? resolve(import.meta.dirname, "../../.testbed/kwok"),
  ) {
    this.binDir = binDir;
    this.workdir = workdir;
  }

  /**
   * Runs kwokctl. `exclusive` holds a machine-wide lock while it runs: kwokctl picks free ports
   * itself, so two test beds creating or starting clusters at the same moment can pick the same one.
   * `--close`: the cluster processes kwokctl leaves running must not inherit (and keep) the lock.
   */
  private async kwokctl(args: string[], exclusive = false): Promise<string> {
    await mkdir(this.workdir, { recursive: true });
    const kwokctl = resolve(this.binDir, "kwokctl");
    const [program, programArgs] = exclusive
      ? ["flock", ["--close", portLock, kwokctl, ...args]]
      : [kwokctl, args];
    try {
      const { stdout } = await run(program, programArgs, {
        env: { ...process.env, KWOK_WORKDIR: this.workdir, PATH: `${this.binDir}:${process.env.PATH}` },
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`kwokctl ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
    }
  }

  private clusterDir(region: string): string {
    return resolve(this.workdir, "clusters", clusterPrefix + region);
  }

  /** Starts a region's control plane, adds a fake node and waits until Deployments can roll out. */
  async create(region: string): Promise<Region> {
    const bin = (name: string) => resolve(this.binDir, name);
    await this.kwokctl(
      [
        "--name",
        clusterPrefix + region,
        "create",
        "cluster",
        "--runtime",
        "binary",
        "--kubeconfig",
        "",
        "--kube-apiserver-binary",
        bin("kube-apiserver"),
        "--kube-controller-manager-binary",
        bin("kube-controller-manager"),
        "--kube-scheduler-binary",
        bin("kube-scheduler"),
        "--kwok-controller-binary",
        bin("kwok"),
        "--etcd-binary",
        bin("etcd"),
        // No node Lease: a restarted kwok-controller (after an outage) would otherwise wait for the
        // previous instance's node Lease to expire (200 s) before it runs any pod again.
        "--node-lease-duration-seconds",
        "0",
        // kwok's default stages plus job-pod-fail, which fails a Job's pod on demand (the file says how).
        "--config",
        kwokStages,
        // One instance each: leader election would only make them wait out their old Lease after an outage.
        "--extra-args",
        "kube-controller-manager=leader-elect=false",
        "--extra-args",
        "kube-scheduler=leader-elect=false",
        "--wait",
        "120s",
      ],
      true,
    );
    const info = await this.region(region);
    await addFakeNode(info);
    await waitForDefaultServiceAccount(info);
    return info;
  }

  /** Reads a running (or stopped) region's connection details. */
  async region(region: string): Promise<Region> {
    const path = resolve(this.clusterDir(region), "kubeconfig.yaml");
    const kubeconfig = await flattenKubeconfig(path);
    const server = /server: (\S+)/.exec(await readFile(path, "utf8"))?.[1];
    if (!server) throw new Error(`no server in ${path}`);
    return { name: region, cluster: clusterPrefix + region, kubeconfig, server };
  }

  /** A region outage: every control-plane process of the region stops; its data stays. */
  async stop(region: string): Promise<void> {
    await this.kwokctl(["--name", clusterPrefix + region, "stop", "cluster"]);
  }

  /** Ends an outage and waits until the API server answers again. */
  async start(region: string): Promise<void> {
    await this.kwokctl(["--name", clusterPrefix + region, "start", "cluster"], true);
    const info = await this.region(region);
    await pollUntil(`region ${region} API server ready`, 60_000, () => isReady(info));
  }

  /** Regions that exist under this workdir, running or not. */
  async regions(): Promise<string[]> {
    if (!existsSync(resolve(this.workdir, "clusters"))) return [];
    const out = await this.kwokctl(["get", "clusters"]);
    return out
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith(clusterPrefix))
      .map((l) => l.slice(clusterPrefix.length));
  }

  async delete(region: string): Promise<void> {
    await this.kwokctl(["--name", clusterPrefix + region, "delete", "cluster"]);
  }

  /** Removes every region of this workdir, including leftovers of an interrupted run. */
  async down(): Promise<void> {
    for (const region of await this.regions()) await this.delete(region);
  }
}

export function kubeConfigFor(region: Region): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(region.kubeconfig);
  return kc;
}

/** True when the region's API server answers /readyz with 200 (the operator's own probe). */
export async function isReady(region: Region): Promise<boolean> {
  return (await probeCluster(kubeConfigFor(region), 2000, false)).reachable;
}

/**
 * kwok-controller (started with --manage-all-nodes) keeps any Node Ready and runs the pods the
 * scheduler binds to it, so one Node with room for many pods makes Deployments roll out for real.
 */
async function addFakeNode(region: Region): Promise<void> {
  const core = kubeConfigFor(region).makeApiClient(CoreV1Api);
  const capacity = { cpu: "640", memory: "2560Gi", pods: "5000" };
  await core.createNode({
    body: {
      metadata: {
        name: `${region.name}-node-0`,
        labels: {
          type: "kwok",
          "kubernetes.io/hostname": `${region.name}-node-0`,
          "topology.kubernetes.io/region": region.name,
        },
        annotations: { "kwok.x-k8s.io/node": "fake" },
      },
      status: { capacity, allocatable: capacity },
    },
  });
}

/**
 * Pods are refused until kube-controller-manager has created the namespace's default ServiceAccount.
 * Seconds on an idle machine; minutes when several test beds share two cores.
 */
async function waitForDefaultServiceAccount(region: Region): Promise<void> {
  const core = kubeConfigFor(region).makeApiClient(CoreV1Api);
  await pollUntil(`region ${region.name} default ServiceAccount`, 180_000, async () => {
    try {
      await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
      return true;
    } catch {
      return false;
    }
  });
}
