import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";

export const fieldManager = "meridian";
/**
 * The fields that say which region is primary (currentPrimary, epoch, lastFailover) have a
 * manager of their own, so the health writer, which runs every interval from a cache that may be a
 * moment old, can never write an older primary back over a finished failover.
 */
export const failoverFieldManager = "meridian-failover";

/** Identifies one custom object. */
export interface ObjectRef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  name: string;
  /** Absent for cluster-scoped kinds. */
  namespace?: string;
}

/**
 * Writes a custom object's status by server-side apply with field manager `meridian`: only the
 * fields we set are ours, so another controller's status fields are never overwritten, and
 * repeating the same apply is a no-op on the server (no new resourceVersion, no watch event).
 */
export class StatusWriter {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /**
   * Applies `status` as `manager`'s complete set of status fields: a field the manager set before
   * and leaves out now is removed, so always pass everything the manager owns.
   */
  async apply(ref: ObjectRef, status: object, manager = fieldManager): Promise<void> {
    const body = {
      apiVersion: `${ref.group}/${ref.version}`,
      kind: ref.kind,
      metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
      status,
    };
    const common = {
      group: ref.group,
      version: ref.version,
      plural: ref.plural,
      name: ref.name,
      body,
      fieldManager: manager,
      force: true,
    };
    const asApply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
    if (ref.namespace) {
      await this.api.patchNamespacedCustomObjectStatus({ ...common, namespace: ref.namespace }, asApply);
    } else {
      await this.api.patchClusterCustomObjectStatus(common, asApply);
    }
  }
}
