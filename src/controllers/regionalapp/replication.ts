import type { KubeConfig } from "@kubernetes/client-node";
import type { RegionalApp } from "../../api/types.generated.ts";
import { lsnDiff } from "../../promotion/lsn.ts";
import type { Promoter } from "../../promotion/promoter.ts";
import { databaseOf } from "../replicapromotion/databases.ts";

/**
 * Replication lag of every replica region, in bytes behind the primary's WAL position. The
 * primary's position is remembered from the last time it could be read, so while the primary is
 * unreachable the lag still measures what a failover would lose (what the replica had not replayed
 * when the primary was last seen) rather than becoming unknown.
 */
export class ReplicationLagTracker {
  private readonly lastPrimaryLsn = new Map<string, string>();

  async measure(
    hub: KubeConfig,
    promoter: Promoter,
    appKey: string,
    app: RegionalApp,
    primary: string,
  ): Promise<Map<string, number>> {
    const lag = new Map<string, number>();
    const state = async (region: string) =>
      promoter.state(await databaseOf(hub, app, region)).catch(() => undefined);
    const primaryState = await state(primary);
    if (primaryState && !primaryState.inRecovery) this.lastPrimaryLsn.set(appKey, primaryState.lsn);
    const reference = this.lastPrimaryLsn.get(appKey);
    if (!reference) return lag;
    for (const region of app.spec.regions) {
      if (region.name === primary) continue;
      const replica = await state(region.name);
      if (replica?.inRecovery) lag.set(region.name, Math.max(0, lsnDiff(reference, replica.lsn)));
    }
    return lag;
  }

  forget(appKey: string): void {
    this.lastPrimaryLsn.delete(appKey);
  }
}
