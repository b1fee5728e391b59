import type { FailoverPolicy, RegionalApp } from "../../api/types.generated.ts";
import { desiredRecords } from "../../dns/desired-records.ts";
import type { DesiredRecords, DnsProvider } from "../../dns/provider.ts";
import { sameTargets } from "../../dns/targets.ts";

/** Published targets are re-read from the provider this often, to repair a change made by hand. */
const rereadMs = 60_000;

/** The verdict of each region by name (undefined: not judged yet). */
export type RegionVerdicts = (region: string) => boolean | undefined;

/**
 * Keeps the published records in line with health between failovers: ActivePassive names the
 * current primary; ActiveActive every healthy region, so a region leaves the set when it turns
 * unhealthy and returns after the success threshold. Only a change is written, conditional on
 * what was read (so a concurrent edit is detected by the provider, not overwritten).
 * Never runs during a promotion: then the Rerouting step owns DNS.
 *
 * `needed` is a memory-only check, for the health reconciler to decide whether to hand the app
 * to the DNS queue; `sync` does the provider I/O, on that queue.
 */
export class DnsSync {
  private readonly published = new Map<string, { targets: string[]; readAt: number }>();

  needed(
    appKey: string,
    app: RegionalApp,
    policy: FailoverPolicy,
    primary: string,
    healthy: RegionVerdicts,
    nowMs: number,
  ) {
    const known = this.published.get(appKey);
    if (!known || nowMs - known.readAt >= rereadMs) return true;
    try {
      const { recordType, targets } = plan(app, policy, primary, healthy);
      return !sameTargets(recordType, known.targets, targets);
    } catch {
      return true; // the DNS reconciler reports why no records can be planned
    }
  }

  async sync(
    appKey: string,
    app: RegionalApp,
    policy: FailoverPolicy,
    primary: string,
    healthy: RegionVerdicts,
    provider: () => DnsProvider,
    nowMs: number,
  ): Promise<void> {
    const records = plan(app, policy, primary, healthy);
    const { recordType, targets } = records;
    let known = this.published.get(appKey);
    const dns = provider();
    if (!known || nowMs - known.readAt >= rereadMs) {
      known = { targets: await dns.current(app.spec.dns.hostname, recordType), readAt: nowMs };
      this.published.set(appKey, known);
    }
    if (sameTargets(recordType, known.targets, targets)) return;
    await dns.apply({ desired: records, expectedCurrent: known.targets, epoch: app.status?.epoch ?? 0 });
    this.published.set(appKey, { targets, readAt: nowMs });
  }

  forget(appKey: string): void {
    this.published.delete(appKey);
  }
}

function plan(
  app: RegionalApp,
  policy: FailoverPolicy,
  primary: string,
  healthy: RegionVerdicts,
): DesiredRecords {
  return desiredRecords({
    hostname: app.spec.dns.hostname,
    recordType: app.spec.dns.recordType,
    topology: app.spec.topology,
    primary,
    ttlSeconds: policy.spec.dns.ttlSeconds,
    regions: app.spec.regions.map((r) => ({ name: r.name, endpoint: r.endpoint, healthy: healthy(r.name) })),
  }).records;
}
