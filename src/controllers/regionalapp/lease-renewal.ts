import type { FailoverPolicy, RegionalApp } from "../../api/types.generated.ts";
import type { ClusterRegistry } from "../../clusters/registry.ts";
import { StaleEpochError, writeFencingLease } from "../../fencing/lease.ts";
import { describeApiError } from "../../runtime/api-errors.ts";
import type { Logger } from "../../runtime/logger.ts";

/**
 * The hub's half of fencing: while no promotion is under way, it renews the primary region's
 * fencing Lease (meridian-<app>, in the workload's namespace of the primary's cluster), with the
 * epoch and what the region's agent must fence if renewals stop. The
 * moment a promotion starts fencing, renewals stop, so the Lease lapses on schedule.
 */
export class LeaseRenewer {
  private readonly lastRenewed = new Map<string, number>();

  async renew(
    appKey: string,
    app: RegionalApp,
    policy: FailoverPolicy,
    primary: string,
    registry: ClusterRegistry,
    nowMs: number,
    log: Logger,
  ): Promise<void> {
    const { retryPeriodSeconds, leaseDurationSeconds, renewDeadlineSeconds } = policy.spec.fencing;
    // Renewed every half renew deadline (never more often than the retry period): one failed
    // renewal is then survivable, and with many apps the hub writes a Lease per app every few
    // seconds, not every retry period. After a failure, the next reconcile (one retry period
    // later) tries again.
    const everyMs = Math.max(retryPeriodSeconds, renewDeadlineSeconds / 2) * 1000;
    const last = this.lastRenewed.get(appKey);
    if (last !== undefined && nowMs - last < everyMs * 0.9) return;
    const region = app.spec.regions.find((r) => r.name === primary);
    const client = region && registry.get(region.clusterRef);
    if (!region || !client?.probe?.reachable) return; // nothing to renew through; the Lease lapses
    const namespace = region.workload.namespace ?? app.metadata?.namespace ?? "";
    try {
      await writeFencingLease(
        client.kc,
        { namespace, app: app.metadata?.name ?? "" },
        primary,
        app.status?.epoch ?? 0,
        leaseDurationSeconds,
        nowMs,
        {
          workload: { kind: region.workload.kind, namespace, name: region.workload.name },
          renewDeadlineSeconds,
          ...(region.database ? { databaseSecret: region.database.connectionSecretRef.name } : {}),
        },
      );
      this.lastRenewed.set(appKey, nowMs);
    } catch (err) {
      const stale = err instanceof StaleEpochError;
      log[stale ? "error" : "warn"](
        { region: primary, err: describeApiError(err) },
        "could not renew the fencing Lease",
      );
    }
  }

  forget(appKey: string): void {
    this.lastRenewed.delete(appKey);
  }
}
