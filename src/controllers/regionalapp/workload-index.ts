import type { RegionalApp } from "../../api/types.generated.ts";
import { keyOf } from "../../runtime/keys.ts";

/**
 * Which apps use which member cluster and which workload in it, so that a workload's watch event
 * or a cluster's change of reachability reconciles just those apps, at once: a failure is seen
 * when it happens, not at the app's next scheduled observation.
 */
export class AppsByWorkload {
  private readonly apps = new Map<string, Set<string>>();
  private readonly entriesOf = new Map<string, string[]>();

  set(app: RegionalApp): void {
    const key = keyOf(app);
    this.delete(app);
    const entries = app.spec.regions.flatMap((r) => [
      clusterEntry(r.clusterRef),
      workloadEntry(
        r.clusterRef,
        r.workload.kind,
        `${r.workload.namespace ?? app.metadata?.namespace ?? ""}/${r.workload.name}`,
      ),
    ]);
    this.entriesOf.set(key, entries);
    for (const e of entries) {
      let set = this.apps.get(e);
      if (!set) {
        set = new Set();
        this.apps.set(e, set);
      }
      set.add(key);
    }
  }

  delete(app: RegionalApp): void {
    const key = keyOf(app);
    for (const e of this.entriesOf.get(key) ?? []) {
      const set = this.apps.get(e);
      set?.delete(key);
      if (set?.size === 0) this.apps.delete(e);
    }
    this.entriesOf.delete(key);
  }

  /** Keys of the apps whose region runs `workloadKey` ("namespace/name") of `kind` in `cluster`. */
  ofWorkload(cluster: string, kind: string, workloadKey: string): Iterable<string> {
    return this.apps.get(workloadEntry(cluster, kind, workloadKey)) ?? [];
  }

  /** Keys of the apps with a region in `cluster`. */
  ofCluster(cluster: string): Iterable<string> {
    return this.apps.get(clusterEntry(cluster)) ?? [];
  }
}

const clusterEntry = (cluster: string) => `cluster ${cluster}`;
const workloadEntry = (cluster: string, kind: string, workloadKey: string) =>
  `${cluster} ${kind} ${workloadKey}`;
