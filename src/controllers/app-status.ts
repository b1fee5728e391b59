// The failover writes to a RegionalApp's status, under the failover field manager: which value of
// spec.primaryRegion was acted upon (RegionalApp controller), the epoch taken by a compare-and-swap
// before any fencing, and a promotion's outcome written before it is marked finished (ReplicaPromotion
// controller) (DESIGN "Decisions on fresh facts"). Always on the object read fresh, never on a cache.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { group, version } from "../api/group.ts";
import type { FailoverRecord, Handover, RegionalApp } from "../api/types.generated.ts";
import { isConflict, isNotFound } from "../runtime/api-errors.ts";
import { failoverFieldManager } from "../runtime/status-writer.ts";

const plural = "regionalapps";
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class AppStatusWriter {
  readonly #api: CustomObjectsApi;

  constructor(hub: KubeConfig) {
    this.#api = hub.makeApiClient(CustomObjectsApi);
  }

  async read(name: string, namespace: string): Promise<RegionalApp | undefined> {
    try {
      return (await this.#api.getNamespacedCustomObject({
        group,
        version,
        plural,
        namespace,
        name,
      })) as RegionalApp;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Takes the next epoch for `handover` on the app exactly as read: the update carries the read
   * resourceVersion, so if anyone changed the app since (another promotion, another leader), it
   * fails and nothing is fenced on a stale view. Returns false when it lost that race.
   */
  async allocateEpoch(app: RegionalApp, handover: Handover): Promise<boolean> {
    const { name = "", namespace = "" } = app.metadata ?? {};
    const body = { ...app, status: { ...app.status, epoch: handover.epoch, handover } };
    try {
      await this.#api.replaceNamespacedCustomObjectStatus({
        group,
        version,
        plural,
        namespace,
        name,
        body,
        fieldManager: failoverFieldManager,
      });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** The new primary, recorded before the promotion may say Succeeded; the handover ends. */
  async recordPrimary(
    app: RegionalApp,
    primary: string,
    epoch: number,
    lastFailover: FailoverRecord,
  ): Promise<void> {
    await this.#patch(app, { currentPrimary: primary, epoch, lastFailover, handover: null });
  }

  /**
   * Records status.lastAppliedPrimaryRegion as of the read it was decided on: the app's
   * resourceVersion is a precondition, so a conflict means it changed and the caller decides again.
   */
  async recordAppliedPrimary(app: RegionalApp, value: string): Promise<void> {
    await this.#patch(app, { lastAppliedPrimaryRegion: value }, app.metadata?.resourceVersion);
  }

  /** A promotion that ends without promoting hands the epoch back to the old primary's assignment. */
  async endHandover(app: RegionalApp): Promise<void> {
    await this.#patch(app, { handover: null });
  }

  /** A merge patch (not an apply), so another apply by the same manager never removes these fields. */
  async #patch(app: RegionalApp, status: Record<string, unknown>, resourceVersion?: string): Promise<void> {
    const { name = "", namespace = "" } = app.metadata ?? {};
    const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), status };
    await this.#api.patchNamespacedCustomObjectStatus(
      { group, version, plural, namespace, name, body, fieldManager: failoverFieldManager },
      mergePatch,
    );
  }
}
