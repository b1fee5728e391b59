import type { KubeConfig, V1Deployment, V1StatefulSet } from "@kubernetes/client-node";
import { Informer } from "../runtime/informer.ts";
import type { Logger } from "../runtime/logger.ts";
import type { ClusterMetrics } from "./metrics.ts";
import { listInPages } from "./paged-list.ts";
import { type ProbeResult, probeCluster } from "./probe.ts";
import { summarize, type WorkloadKind, type WorkloadView } from "./workloads.ts";

type Workload = V1Deployment | V1StatefulSet;

/** What the registry holds for one member cluster. */
export interface MemberClient {
  name: string;
  kc: KubeConfig;
  /** Changes whenever the kubeconfig Secret or the spec that shaped the client changes. */
  fingerprint: string;
  /** The last probe, undefined until the first one has finished. */
  probe: (ProbeResult & { at: number }) | undefined;
}

export interface RegistryOptions {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  log: Logger;
  metrics: ClusterMetrics;
  /** Called after every probe (the MemberCluster controller records it), saying whether reachability changed. */
  onProbe: (cluster: string, reachabilityChanged: boolean) => void;
  /** Called when a watched workload is added, changes or goes ("namespace/name"). */
  onWorkloadChange?: (cluster: string, kind: WorkloadKind, key: string) => void;
}

interface Entry extends MemberClient {
  timer: NodeJS.Timeout;
  probing: boolean;
  probes: number;
  workloads: Map<WorkloadKind, Informer<Workload, WorkloadView>>;
}

/**
 * One client per MemberCluster, shared by every controller and every app. Each cluster is probed
 * once per interval however many apps run on it, and its Deployments and StatefulSets are watched
 * once (lazily, on first use) and read from that cache: probe and watch traffic grows with the
 * number of clusters, never with apps × clusters.
 */
export class ClusterRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: RegistryOptions;

  constructor(opts: RegistryOptions) {
    this.opts = opts;
  }

  get(name: string): MemberClient | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Registers or refreshes a cluster's client. The same fingerprint keeps the existing client (and
   * its caches); a new one replaces it, so a rotated kubeconfig takes effect at once.
   */
  upsert(name: string, kc: KubeConfig, fingerprint: string): void {
    const existing = this.entries.get(name);
    if (existing?.fingerprint === fingerprint) return;
    if (existing) this.remove(name);
    const entry: Entry = {
      name,
      kc,
      fingerprint,
      probe: undefined,
      probing: false,
      probes: 0,
      workloads: new Map(),
      timer: setInterval(() => void this.probe(entry), this.opts.probeIntervalMs),
    };
    entry.timer.unref();
    this.entries.set(name, entry);
    this.opts.log.info({ cluster: name }, "member cluster client ready");
    void this.probe(entry);
  }

  remove(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    clearInterval(entry.timer);
    for (const informer of entry.workloads.values()) void informer.stop();
    this.entries.delete(name);
    this.opts.metrics.reachable.remove({ cluster: name });
  }

  /**
   * The cached workloads of one kind in a cluster, started on first use. `synced` is false until
   * the first list succeeded: until then a missing workload proves nothing.
   */
  workloads(
    name: string,
    kind: WorkloadKind,
  ): { get(namespace: string, name: string): WorkloadView | undefined; synced: boolean } | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    let informer = entry.workloads.get(kind);
    if (!informer) {
      const path = kind === "Deployment" ? "/apis/apps/v1/deployments" : "/apis/apps/v1/statefulsets";
      informer = new Informer<Workload, WorkloadView>({
        kc: entry.kc,
        path,
        list: () => listInPages<Workload>(entry.kc, path),
        log: this.opts.log.child({ cluster: name, watch: kind }),
        project: (w) => summarize(kind, w),
      });
      const changed = (_: WorkloadView, key: string) => this.opts.onWorkloadChange?.(name, kind, key);
      informer.onChange(changed);
      informer.onDelete(changed);
      entry.workloads.set(kind, informer);
      void informer.start();
    }
    const cache = informer;
    return { get: (namespace, workload) => cache.get(workload, namespace), synced: cache.hasSynced };
  }

  async stop(): Promise<void> {
    for (const name of this.names()) this.remove(name);
  }

  private async probe(entry: Entry): Promise<void> {
    if (entry.probing || this.entries.get(entry.name) !== entry) return;
    entry.probing = true;
    const wasReachable = entry.probe?.reachable;
    try {
      // The version is asked for on the first probe and every 30th after, not every interval.
      const result = await probeCluster(entry.kc, this.opts.probeTimeoutMs, entry.probes % 30 === 0);
      entry.probes++;
      const serverVersion = result.serverVersion ?? entry.probe?.serverVersion;
      entry.probe = { ...result, serverVersion, at: Date.now() };
      this.opts.metrics.probeDuration.observe({ cluster: entry.name }, result.latencyMs / 1000);
      this.opts.metrics.reachable.set({ cluster: entry.name }, result.reachable ? 1 : 0);
    } finally {
      entry.probing = false;
    }
    if (this.entries.get(entry.name) === entry) {
      this.opts.onProbe(entry.name, entry.probe !== undefined && entry.probe.reachable !== wasReachable);
    }
  }
}
