import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { parseDatabaseUri } from "../../promotion/postgresql/uri.ts";
import type { Promoter } from "../../promotion/promoter.ts";
import { describeApiError } from "../../runtime/api-errors.ts";
import { formatWorkloadRef } from "../lease.ts";
import { scaleToZero } from "../workload.ts";
import type { LeaseView } from "./lease-view.ts";

/**
 * Fences one app in the agent's own region: scales its workload to zero and makes its database
 * refuse writes, at the Lease's epoch. Both are idempotent, and each is tried even when the other
 * fails: a missing Deployment must not keep the database open.
 */
export class RegionFencer {
  readonly #kc: KubeConfig;
  readonly #region: string;
  readonly #promoter: Promoter;
  /** Database uris by "namespace/secret", read while the API server answered. */
  readonly #uris = new Map<string, string>();

  constructor(kc: KubeConfig, region: string, promoter: Promoter) {
    this.#kc = kc;
    this.#region = region;
    this.#promoter = promoter;
  }

  /**
   * Reads the database Secret ahead of need: when the region is cut off, its own API server may be
   * the part that is down, and the database must still be fenced.
   */
  async rememberDatabase(view: LeaseView): Promise<void> {
    if (view.databaseSecret) await this.#databaseUri(view);
  }

  /** Returns what it fenced, for the log and the Event; throws naming every part that failed. */
  async fence(view: LeaseView): Promise<string[]> {
    const results = await Promise.allSettled([this.#fenceWorkload(view), this.#fenceDatabase(view)]);
    const failures = results.flatMap((r) => (r.status === "rejected" ? [describeApiError(r.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join("; "));
    return results.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
  }

  async #fenceWorkload(view: LeaseView): Promise<string | undefined> {
    if (view.workloadAnnotationText === undefined) return undefined;
    if (!view.workload) {
      throw new Error(
        `annotation meridian.dev/workload is "${view.workloadAnnotationText}"; expected Deployment/<namespace>/<name> or StatefulSet/<namespace>/<name>`,
      );
    }
    const before = await scaleToZero(this.#kc, view.workload);
    return `${formatWorkloadRef(view.workload)} scaled to 0 (had ${before})`;
  }

  async #fenceDatabase(view: LeaseView): Promise<string | undefined> {
    if (!view.databaseSecret) return undefined;
    const uri = await this.#databaseUri(view);
    await this.#promoter.fence({ region: this.#region, uri }, view.epoch);
    return `database ${parseDatabaseUri(uri).redacted} fenced at epoch ${view.epoch}`;
  }

  /** The Secret's uri, read now, or as last read when the API server does not answer. */
  async #databaseUri(view: LeaseView): Promise<string> {
    const key = `${view.namespace}/${view.databaseSecret}`;
    try {
      const secret = await this.#kc
        .makeApiClient(CoreV1Api)
        .readNamespacedSecret({ name: view.databaseSecret ?? "", namespace: view.namespace });
      const encoded = secret.data?.uri;
      if (!encoded) throw new Error(`Secret ${key} has no key "uri"`);
      const uri = Buffer.from(encoded, "base64").toString("utf8");
      this.#uris.set(key, uri);
      return uri;
    } catch (err) {
      const remembered = this.#uris.get(key);
      if (remembered !== undefined) return remembered;
      throw new Error(`cannot read the database Secret ${key}: ${describeApiError(err)}`);
    }
  }
}
