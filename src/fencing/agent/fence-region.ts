import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { DatabaseIsReplica, EpochTooOld } from "../../promotion/postgresql/errors.ts";
import { parseDatabaseUri } from "../../promotion/postgresql/uri.ts";
import type { DatabaseEndpoint, Promoter } from "../../promotion/promoter.ts";
import { describeApiError } from "../../runtime/api-errors.ts";
import { FenceReason } from "../protocol/agent-decision.ts";
import { scaleToZero } from "../workload.ts";
import type { GuardedApp } from "./assignments.ts";

const formatWorkload = (w: GuardedApp["workload"]) => `${w.kind}/${w.namespace}/${w.name}`;

/**
 * Fences one app in the agent's own region: "app" scales its workload to zero and fences its
 * database; "database" fences only a database that is a writable primary (a replica takes no
 * writes). Both parts are idempotent, and each is tried even when the other fails.
 */
export class RegionFencer {
  readonly #kc: KubeConfig;
  readonly #promoter: Promoter;
  /** Database uris by "namespace/secret", read while the member API server answered. */
  readonly #uris = new Map<string, string>();

  constructor(member: KubeConfig, promoter: Promoter) {
    this.#kc = member;
    this.#promoter = promoter;
  }

  /** Reads the database Secret ahead of need: the member API server may be down when the fence is. */
  async remember(app: GuardedApp): Promise<void> {
    if (app.databaseSecret) await this.#databaseUri(app);
  }

  /**
   * Returns what it did, for the log and the Event; throws naming every part that failed — a
   * WorkloadOnlyFailure when the database is fenced but the workload could not be scaled (its API
   * server down, say): the database refusing writes is what the hub waits for.
   */
  async fence(
    app: GuardedApp,
    scope: "app" | "database",
    reason: FenceReason,
    epoch: number,
  ): Promise<string> {
    const parts = [this.#fenceDatabase(app, reason, epoch)];
    if (scope === "app") parts.push(this.#fenceWorkload(app));
    const results = await Promise.allSettled(parts);
    const failures = results.flatMap((r) => (r.status === "rejected" ? [describeApiError(r.reason)] : []));
    const databaseFenced = results[0]?.status === "fulfilled" && app.databaseSecret !== undefined;
    if (failures.length > 0) {
      throw databaseFenced ? new WorkloadOnlyFailure(failures.join("; ")) : new Error(failures.join("; "));
    }
    const done = results.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
    if (app.engine === "cloudnative-pg" || app.engine === "job") {
      // Not fenced here: the hub fences these through the region's API server, and never promotes
      // them on lease expiry or on this agent's acknowledgement alone (docs/fencing.md).
      done.push(`database (engine ${app.engine}) not fenced by the agent: only the hub fences it`);
    }
    return done.join("; ") || "nothing to fence (no database named for this region)";
  }

  async #fenceWorkload(app: GuardedApp): Promise<string> {
    const before = await scaleToZero(this.#kc, app.workload);
    return `${formatWorkload(app.workload)} scaled to 0 (had ${before})`;
  }

  async #fenceDatabase(app: GuardedApp, reason: FenceReason, epoch: number): Promise<string | undefined> {
    if (!app.databaseSecret) return undefined;
    const uri = await this.#databaseUri(app);
    const db: DatabaseEndpoint = { region: app.region, uri };
    const where = `database ${parseDatabaseUri(uri).redacted}`;
    try {
      await this.#promoter.fence(db, epoch);
      return `${where} fenced at epoch ${epoch}`;
    } catch (err) {
      if (err instanceof DatabaseIsReplica) return `${where} is a replica: nothing to fence`;
      if (!(err instanceof EpochTooOld)) throw err;
      if (reason === FenceReason.HandedOver) {
        // A later promotion: fenced already, or promoted here after this handover (then not ours to close).
        if ((await this.#promoter.fenceState(db, err.recorded)).fenced)
          return `${where} already fenced at epoch ${err.recorded}`;
        throw err;
      }
      // Past the renew deadline nothing of the app may take writes here, whatever the agent last
      // read: a promotion after that read recorded a newer epoch, and the fence uses it.
      await this.#promoter.fence(db, err.recorded);
      return `${where} fenced at its recorded epoch ${err.recorded} (newer than the agent's ${epoch})`;
    }
  }

  /** The Secret's uri, read now, or as last read when the member API server does not answer. */
  async #databaseUri(app: GuardedApp): Promise<string> {
    const namespace = app.workload.namespace;
    const name = app.databaseSecret ?? "";
    const key = `${namespace}/${name}`;
    try {
      const secret = await this.#kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name, namespace });
      const encoded = secret.data?.uri;
      if (!encoded) throw new Error(`Secret ${key} has no key "uri"`);
      const uri = Buffer.from(encoded, "base64").toString("utf8");
      this.#uris.set(key, uri);
      return uri;
    } catch (err) {
      const remembered = this.#uris.get(key);
      if (remembered !== undefined) return remembered;
      throw new Error(
        `cannot read the database Secret ${key} in the member cluster: ${describeApiError(err)}`,
      );
    }
  }
}

/** The database part of a fence succeeded; only the workload part failed (and is retried). */
export class WorkloadOnlyFailure extends Error {}
