// The region Lease: one coordination.k8s.io/v1 Lease per MemberCluster in the hub, in the
// operator's namespace, held and renewed by that cluster's agent (never by the operator). Its
// resourceVersion is what the hub observes; renewTime is informational only, because it is another
// machine's clock. The protocol: docs/fencing.md.
import type { V1Lease } from "@kubernetes/client-node";
import type { RegionLeaseRecord } from "./protocol/lease-observations.ts";

/** Label on every region Lease; its value is the MemberCluster's name. */
export const regionLeaseLabel = "meridian.dev/region-lease";
/** "true" while the agent's renewals are not votes (it is bound by a promise or cannot reach the hub). */
export const abstainAnnotation = "meridian.dev/abstain";
/** Comma-separated MemberClusters the agent knew as voters when it wrote the Lease. */
export const votersAnnotation = "meridian.dev/voters";
/** JSON {"<namespace>/<app>": epoch}: handovers away from this region the agent has fenced. */
export const fencedEpochsAnnotation = "meridian.dev/fenced-epochs";

export const regionLeaseName = (cluster: string) => `meridian-region-${cluster}`;

export interface RegionLeaseContent {
  abstain: boolean;
  voters: readonly string[];
  fencedEpochs: Readonly<Record<string, number>>;
}

export function regionLeaseAnnotations(c: RegionLeaseContent): Record<string, string> {
  return {
    [abstainAnnotation]: String(c.abstain),
    [votersAnnotation]: [...c.voters].sort().join(","),
    [fencedEpochsAnnotation]: JSON.stringify(c.fencedEpochs),
  };
}

/** The cluster a region Lease belongs to and what the hub reads from it; undefined for other Leases. */
export function readRegionLease(lease: V1Lease): { cluster: string; record: RegionLeaseRecord } | undefined {
  const cluster = lease.metadata?.labels?.[regionLeaseLabel];
  const resourceVersion = lease.metadata?.resourceVersion;
  if (!cluster || !resourceVersion) return undefined;
  const a = lease.metadata?.annotations ?? {};
  const voters = a[votersAnnotation];
  return {
    cluster,
    record: {
      resourceVersion,
      // Anything but an explicit "false" abstains: a Lease that does not say it votes is no vote.
      abstain: a[abstainAnnotation] !== "false",
      voters: voters ? voters.split(",").filter(Boolean) : undefined,
      fencedEpochs: parseFencedEpochs(a[fencedEpochsAnnotation]),
    },
  };
}

function parseFencedEpochs(text: string | undefined): Record<string, number> {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((e): e is [string, number] => Number.isSafeInteger(e[1])),
    );
  } catch {
    return {};
  }
}
