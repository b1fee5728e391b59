// What Meridian reads and judges of a CloudNativePG Cluster (postgresql.cnpg.io/v1), as pure
// functions: the role CloudNativePG derives from spec.replica, and whether a demotion or a
// promotion at an epoch has completed by CloudNativePG's own evidence (status.demotionToken,
// status.lastPromotionToken). Field names follow CloudNativePG's api/v1/cluster_types.go.

export const cnpgClusters = { group: "postgresql.cnpg.io", version: "v1", plural: "clusters" };

/** Meridian's marks on the Cluster: which epoch demoted or promoted it, and the token before the demotion. */
export const fencedEpochAnnotation = "meridian.dev/fenced-epoch";
export const promotedEpochAnnotation = "meridian.dev/promoted-epoch";
export const tokenBeforeFenceAnnotation = "meridian.dev/demotion-token-before-fence";

/** CloudNativePG's status.phase values Meridian acts on. */
export const phaseHealthy = "Cluster in healthy state";
export const phaseUnrecoverable = "Cluster is unrecoverable and needs manual intervention";

export interface CnpgCluster {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    replica?: {
      self?: string;
      primary?: string;
      source?: string;
      enabled?: boolean;
      promotionToken?: string;
    };
  };
  status?: {
    phase?: string;
    phaseReason?: string;
    currentPrimary?: string;
    demotionToken?: string;
    lastPromotionToken?: string;
    switchReplicaClusterStatus?: { inProgress?: boolean };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** The Cluster's name in the distributed topology: spec.replica.self, else its own name. */
export function topologyName(c: CnpgCluster): string {
  return c.spec?.replica?.self || c.metadata?.name || "";
}

/**
 * CloudNativePG's rule for a replica cluster: an explicit spec.replica.enabled wins (the legacy
 * standalone replica); otherwise it is a replica when spec.replica.primary names another cluster.
 */
export function isReplica(c: CnpgCluster): boolean {
  const r = c.spec?.replica;
  if (!r) return false;
  if (r.enabled !== undefined) return r.enabled;
  return topologyName(c) !== r.primary;
}

const epochMark = (c: CnpgCluster, key: string) => Number(c.metadata?.annotations?.[key] ?? 0) || 0;
export const fencedEpochOf = (c: CnpgCluster) => epochMark(c, fencedEpochAnnotation);
export const promotedEpochOf = (c: CnpgCluster) => epochMark(c, promotedEpochAnnotation);

const unrecoverable = (c: CnpgCluster, what: string) =>
  c.status?.phase === phaseUnrecoverable
    ? `${what}: CloudNativePG reports "${phaseUnrecoverable}"${c.status.phaseReason ? ` (${c.status.phaseReason})` : ""}; see kubectl cnpg status and docs/cloudnative-pg.md`
    : undefined;

/**
 * Demoted at `epoch` (or later) by Meridian, and CloudNativePG has finished it: the Cluster is a
 * replica by its spec and status.demotionToken holds a token written after this demotion began
 * (one left from an earlier demotion does not count), with no switch in progress.
 */
export function judgeDemotion(c: CnpgCluster, epoch: number, where: string) {
  const failed = unrecoverable(c, where);
  const fencedAt = fencedEpochOf(c);
  const token = c.status?.demotionToken ?? "";
  const missing =
    fencedAt < epoch
      ? `Meridian has not demoted it at epoch ${epoch} (${fencedEpochAnnotation} is ${fencedAt || "unset"})`
      : !isReplica(c)
        ? `spec.replica.primary still names ${topologyName(c)} itself: it is a primary`
        : c.status?.switchReplicaClusterStatus?.inProgress
          ? "CloudNativePG is still switching it to a replica cluster"
          : !token || token === (c.metadata?.annotations?.[tokenBeforeFenceAnnotation] ?? "")
            ? "CloudNativePG has not yet written a new status.demotionToken (the primary has not finished its shutdown checkpoint)"
            : undefined;
  return {
    fenced: missing === undefined,
    detail: missing
      ? `${where} is not fenced: ${missing}`
      : `${where} demoted to a replica cluster at epoch ${fencedAt}`,
    ...(failed ? { failed } : {}),
  };
}

/**
 * Promoted at `epoch` (or later) by Meridian with a demotion token, and CloudNativePG has finished
 * it: the Cluster is a primary by its spec, status.lastPromotionToken equals the token it was
 * given (CloudNativePG writes it once the instance is primary), and its Ready condition is True.
 */
export function judgePromotion(c: CnpgCluster, epoch: number, where: string) {
  const failed = unrecoverable(c, where);
  const promotedAt = promotedEpochOf(c);
  const token = c.spec?.replica?.promotionToken ?? "";
  const ready = c.status?.conditions?.find((x) => x.type === "Ready")?.status === "True";
  const missing =
    promotedAt < epoch
      ? `Meridian has not promoted it at epoch ${epoch} (${promotedEpochAnnotation} is ${promotedAt || "unset"})`
      : isReplica(c)
        ? `spec.replica.primary names ${c.spec?.replica?.primary}, not ${topologyName(c)}`
        : !token || c.status?.lastPromotionToken !== token
          ? `CloudNativePG has not promoted it with the token yet (phase "${c.status?.phase ?? ""}"): it waits until the replica has replayed up to the token's position`
          : !ready
            ? "its Ready condition is not True"
            : undefined;
  return {
    promoted: missing === undefined,
    detail: missing ? `${where} is not promoted: ${missing}` : `${where} promoted at epoch ${promotedAt}`,
    ...(failed ? { failed } : {}),
  };
}
