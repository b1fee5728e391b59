// What wakes a running promotion besides its own watch events. Its steps wait for the app (the
// epoch's compare-and-swap), for member-cluster workloads (scaled to zero at the fence, scaled up
// at the reroute) and for the region Leases (an agent's acknowledgement, votes, expiry). Rather than
// polling for them, the controller is woken by their watch events and by the hub's fresh Lease
// reads. A wake-up only triggers a reconcile, which reads everything it decides on afresh as before
// (docs/fencing.md): an early or spurious wake-up can change when a step happens, never whether.
import type { RegionalApp, ReplicaPromotion } from "../../api/types.generated.ts";
import type { Informer } from "../../runtime/informer.ts";
import { keyOf } from "../../runtime/keys.ts";
import { activePromotions } from "../regionalapp/promotions.ts";

/** Phases that wait on the region Leases: epoch allocation and the fence. */
const waitingOnLeases = new Set(["Pending", "Fencing"]);
const terminal = new Set(["Succeeded", "Failed", "Aborted"]);

export class PromotionWakeups {
  readonly #promotions: Informer<ReplicaPromotion>;
  readonly #apps: Informer<RegionalApp>;
  readonly #enqueue: (key: string) => void;

  constructor(
    promotions: Informer<ReplicaPromotion>,
    apps: Informer<RegionalApp>,
    enqueue: (key: string) => void,
  ) {
    this.#promotions = promotions;
    this.#apps = apps;
    this.#enqueue = enqueue;
  }

  /** The app changed (its handover, its health): its running promotions look again. */
  appChanged(app: RegionalApp): void {
    for (const rp of activePromotions(this.#promotions, app)) this.#enqueue(keyOf(rp));
  }

  /** A workload ("namespace/name") changed in a member cluster: promotions of apps that run it there look again. */
  workloadChanged(cluster: string, workload: string): void {
    const slash = workload.indexOf("/");
    const namespace = workload.slice(0, slash);
    const name = workload.slice(slash + 1);
    for (const rp of this.#running()) {
      const ns = rp.metadata?.namespace ?? "";
      const app = this.#apps.get(rp.spec.appRef.name, ns);
      const runsIt = app?.spec.regions.some(
        (r) =>
          r.clusterRef === cluster && (r.workload.namespace ?? ns) === namespace && r.workload.name === name,
      );
      if (runsIt) this.#enqueue(keyOf(rp));
    }
  }

  /** The hub read the region Leases afresh and something changed: fencing promotions look again. */
  leasesChanged(): void {
    for (const rp of this.#running()) {
      if (waitingOnLeases.has(rp.status?.phase ?? "Pending")) this.#enqueue(keyOf(rp));
    }
  }

  #running(): ReplicaPromotion[] {
    return this.#promotions.list().filter((p) => !terminal.has(p.status?.phase ?? "Pending"));
  }
}
