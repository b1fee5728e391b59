// The agent's one decision, kept pure (no I/O, the clock passed in) so its safety rules can be
// tested exhaustively: when does a region stop serving without being told to?

/** What the agent knows about one fencing Lease in its own cluster. */
export interface LeaseFacts {
  /** The region this agent guards. */
  region: string;
  /** spec.holderIdentity: the region the hub wants to be primary. */
  holder: string | undefined;
  /** The Lease's epoch (fencing token). */
  epoch: number;
  /** spec.renewTime in ms since the epoch; undefined when the Lease was never renewed. */
  renewTimeMs: number | undefined;
  renewDeadlineMs: number;
  /** The newest epoch this agent has seen the Lease held by its own region at, if ever. */
  ownEpoch: number | undefined;
}

/** One peer agent's answer to "do you reach the hub?"; undefined when it did not answer. */
export interface PeerAnswer {
  peer: string;
  reachable: boolean | undefined;
}

export const FenceReason = {
  /** Another region holds the Lease at an epoch newer than ours: the hub handed over. */
  HandedOver: "HandedOver",
  /** Another region holds the Lease and nothing says we held it before: not ours to act on. */
  NotHolder: "NotHolder",
  LeaseRenewed: "LeaseRenewed",
  /** Lapsed, and this agent reaches the hub: the hub stopped renewing on purpose or lost us. */
  HubReachable: "HubReachable",
  PeerReachesHub: "PeerReachesHub",
  /** Lapsed, and a peer did not answer: it may be cut off with the hub, so nobody vouches. */
  PeerSilent: "PeerSilent",
  /** Lapsed, and no peers are configured: nobody can confirm the hub is down. */
  NoPeers: "NoPeers",
  /** Lapsed, but every peer confirms the hub is unreachable: the failsafe keeps the primary. */
  HubDownEverywhere: "HubDownEverywhere",
} as const;
export type FenceReason = (typeof FenceReason)[keyof typeof FenceReason];

export interface FenceDecision {
  fence: boolean;
  reason: FenceReason;
}

/** True when the Lease names this region and was not renewed within its renew deadline. */
export function leaseLapsed(facts: LeaseFacts, now: number): boolean {
  if (facts.holder !== facts.region) return false;
  return facts.renewTimeMs === undefined || now > facts.renewTimeMs + facts.renewDeadlineMs;
}

/**
 * Whether the agent must fence its region now. A handover fences at once. A lapsed Lease fences
 * unless the failsafe holds: every peer answered, and all of them say the hub is unreachable, so the
 * hub cannot be promoting anyone (after Patroni's failsafe_mode).
 */
export function decideFence(
  facts: LeaseFacts,
  peers: readonly PeerAnswer[],
  selfReachesHub: boolean,
  now: number,
): FenceDecision {
  const decide = (fence: boolean, reason: FenceReason): FenceDecision => ({ fence, reason });
  if (facts.holder !== facts.region) {
    const handedOver = facts.ownEpoch !== undefined && facts.epoch > facts.ownEpoch;
    return handedOver ? decide(true, FenceReason.HandedOver) : decide(false, FenceReason.NotHolder);
  }
  if (!leaseLapsed(facts, now)) return decide(false, FenceReason.LeaseRenewed);
  if (selfReachesHub) return decide(true, FenceReason.HubReachable);
  if (peers.length === 0) return decide(true, FenceReason.NoPeers);
  if (peers.some((p) => p.reachable === undefined)) return decide(true, FenceReason.PeerSilent);
  if (peers.some((p) => p.reachable)) return decide(true, FenceReason.PeerReachesHub);
  return decide(false, FenceReason.HubDownEverywhere);
}
