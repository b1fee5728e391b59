// Which records a hostname should have, decided purely from the app's topology, its primary and
// its regions' health. No I/O: the Rerouting step and the health controller call it with what
// they observed and hand the result to a DnsProvider.
import { Reason } from "../api/reasons.ts";
import type { Topology } from "../api/types.generated.ts";
import type { DesiredRecords } from "./provider.ts";

export interface RegionDnsView {
  name: string;
  /** spec.regions[].endpoint: the region's DNS target. */
  endpoint: string;
  /** The policy's verdict; undefined until the thresholds have judged the region (it is not named then). */
  healthy: boolean | undefined;
  /** A fenced region is never named, whatever its health (invariant 7). */
  fenced?: boolean;
}

export interface DesiredRecordsInput {
  hostname: string;
  recordType: DesiredRecords["recordType"];
  topology: Topology;
  /** The region whose database is writable. Callers name it only once it is (invariant 7). */
  primary: string;
  regions: RegionDnsView[];
  ttlSeconds: number;
}

/** A reason and message for a condition or Event: the records are usable but not what an SRE would expect. */
export interface DnsNotice {
  reason: Reason;
  message: string;
}

export interface DesiredRecordsPlan {
  records: DesiredRecords;
  /** Set when ActiveActive had no healthy region to name and the primary's endpoint was kept. */
  notice?: DnsNotice;
}

/**
 * ActivePassive: the primary's endpoint alone. ActiveActive: the endpoint of every healthy,
 * unfenced region; when there is none, the primary's (an empty answer would take the app off the
 * air, and the primary is where the writable database is) with a notice that says so.
 */
export function desiredRecords(input: DesiredRecordsInput): DesiredRecordsPlan {
  const primary = input.regions.find((r) => r.name === input.primary);
  if (!primary) throw new Error(`primary region ${input.primary} is not one of the app's regions`);
  if (primary.fenced) throw new Error(`primary region ${input.primary} is fenced; DNS must not name it`);
  if (input.topology === "ActiveActive" && input.recordType === "CNAME") {
    // The API refuses this combination (a CNAME holds one target); reaching here is a bug.
    throw new Error("an ActiveActive app cannot publish a CNAME");
  }
  const records = (targets: string[]): DesiredRecords => ({
    hostname: input.hostname,
    recordType: input.recordType,
    ttlSeconds: input.ttlSeconds,
    targets: [...new Set(targets)],
  });
  if (input.topology === "ActivePassive") return { records: records([primary.endpoint]) };

  const serving = input.regions.filter((r) => r.healthy === true && !r.fenced);
  if (serving.length > 0) return { records: records(serving.map((r) => r.endpoint)) };
  return {
    records: records([primary.endpoint]),
    notice: {
      reason: Reason.NoHealthyDnsTarget,
      message: `no region of ${input.hostname} is healthy; DNS keeps naming the primary ${primary.name} (${primary.endpoint}) rather than nothing`,
    },
  };
}

/** Above this TTL a failover is slow for clients: resolvers keep the old answer that long. */
export const maxRecommendedTtlSeconds = 60;

/** A warning when the policy's DNS TTL stretches the RTO clients see, else undefined. */
export function ttlWarning(ttlSeconds: number, policyName: string): DnsNotice | undefined {
  if (ttlSeconds <= maxRecommendedTtlSeconds) return undefined;
  return {
    reason: Reason.DnsTtlTooHigh,
    message: `FailoverPolicy ${policyName} sets spec.dns.ttlSeconds to ${ttlSeconds}: after a failover, resolvers may send clients to the old region for up to ${ttlSeconds} s. Set it to ${maxRecommendedTtlSeconds} or less`,
  };
}
