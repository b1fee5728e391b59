import type { RegionalApp } from "../api/types.generated.ts";
import { desiredRecords } from "../dns/desired-records.ts";
import type { DesiredRecords } from "../dns/provider.ts";

/**
 * The records once `target` is primary and `from` is fenced: the target counts as healthy (its
 * database was just verified writable), the fenced region is never named (invariant 7), every
 * other region as the health controller judged it.
 */
export function recordsAfterPromotion(
  app: RegionalApp,
  target: string,
  from: string,
  ttlSeconds: number,
): DesiredRecords {
  return desiredRecords({
    hostname: app.spec.dns.hostname,
    recordType: app.spec.dns.recordType,
    topology: app.spec.topology,
    primary: target,
    ttlSeconds,
    regions: app.spec.regions.map((r) => ({
      name: r.name,
      endpoint: r.endpoint,
      healthy: r.name === target ? true : app.status?.regions?.find((s) => s.name === r.name)?.healthy,
      fenced: r.name === from,
    })),
  }).records;
}
