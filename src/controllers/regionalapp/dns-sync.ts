import type { FailoverPolicy, RegionalApp } from "../../api/types.generated.ts";
import { desiredRecords } from "../../dns/desired-records.ts";
import type { DnsProvider } from "../../dns/provider.ts";
import { sameTargets } from "../../dns/targets.ts";
import type { RegionView } from "./status.ts";

/** Published targets are re-read from the provider this often, to repair a change made by hand. */
const rereadMs = 60_000;

/**
 * Keeps the published records in line with health between failovers: ActivePassive names the
 * current primary; ActiveActive every healthy region, so a region leaves the set when it turns
 * unhealthy and returns after the success threshold. Only a change is written, conditional on
 * what was read (so a concurrent edit is detected by the provider, not overwritten blindly).
 * Never runs during a promotion: then the Rerouting step owns DNS.
 */
export class DnsSync {
  private readonly published = new Map<string, { targets: string[]; readAt: number }>();

  async sync(
    appKey: string,
    app: RegionalApp,
    policy: FailoverPolicy,
    primary: string,
    views: RegionView[],
    provider: () => DnsProvider,
    nowMs: number,
  ): Promise<void> {
    const plan = desiredRecords({
      hostname: app.spec.dns.hostname,
      recordType: app.spec.dns.recordType,
      topology: app.spec.topology,
      primary,
      ttlSeconds: policy.spec.dns.ttlSeconds,
      regions: app.spec.regions.map((r) => ({
        name: r.name,
        endpoint: r.endpoint,
        healthy: views.find((v) => v.name === r.name)?.healthy,
      })),
    });
    const { recordType, targets } = plan.records;
    let known = this.published.get(appKey);
    const dns = provider();
    if (!known || nowMs - known.readAt >= rereadMs) {
      known = { targets: await dns.current(app.spec.dns.hostname, recordType), readAt: nowMs };
      this.published.set(appKey, known);
    }
    if (sameTargets(recordType, known.targets, targets)) return;
    await dns.apply({ desired: plan.records, expectedCurrent: known.targets, epoch: app.status?.epoch ?? 0 });
    this.published.set(appKey, { targets, readAt: nowMs });
  }

  forget(appKey: string): void {
    this.published.delete(appKey);
  }
}
