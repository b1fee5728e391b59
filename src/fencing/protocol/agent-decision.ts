// The agent's one decision per app, pure (no I/O, the clock passed in): must this region fence the
// app now? Its inputs are the app's assignment as last read from the hub (RegionalApp status), the
// agent's own renewals of its region Lease, and the promises its peers gave.
import { hubCannotFormMajority } from "./quorum.ts";
import type { FencingTiming } from "./timing.ts";

export interface AppAssignment {
  /** The member cluster holding the primary (the cluster of status.currentPrimary). */
  primaryCluster: string | undefined;
  /** A promotion is moving the primary: from this cluster, at this epoch (status.handover). */
  handover?: { fromCluster: string; toCluster: string; epoch: number };
}

export interface AgentFacts {
  /** This agent's member cluster. */
  self: string;
  assignment: AppAssignment;
  /** ms since the latest successful renewal of the region Lease was *sent*; undefined: none since start. */
  sinceRenewalMs: number | undefined;
  /**
   * The agent has just started and its first renewal has neither succeeded nor timed out: it waits
   * for that answer (at most one request timeout) before it judges, so a restart fences nothing.
   */
  firstRenewalPending: boolean;
  timing: FencingTiming;
  /** The member clusters the agent knows as voters now, and those it last advertised on its Lease. */
  members: readonly string[];
  advertised: readonly string[] | undefined;
  /** Peers whose promises cover this app now (coveringPeers). */
  covering: ReadonlySet<string>;
}

/**
 * What to fence: the app's workload and database ("app"), only a database that may still take
 * writes ("database": this region is not the app's primary, but nothing may be writable in a
 * region cut off from the hub), or nothing.
 */
export type FenceScope = "app" | "database" | "none";

export const FenceReason = {
  /** The hub is moving the primary away from this region: fence at once. */
  HandedOver: "HandedOver",
  /** The primary is elsewhere and the region Lease is renewed: nothing of this app to guard here. */
  NotPrimary: "NotPrimary",
  /** Just started: the first renewal's answer decides (within one request timeout). */
  StartingUp: "StartingUp",
  /** The region Lease was renewed within the app's renew deadline. */
  LeaseRenewed: "LeaseRenewed",
  /** Not renewed, but enough peers promised that the hub cannot form a majority: keep serving. */
  FailsafePromised: "FailsafePromised",
  /** Not renewed within the renew deadline and not enough promises: the hub may promote elsewhere. */
  RenewDeadlinePassed: "RenewDeadlinePassed",
  /**
   * Past the deadline in a region that is not the app's primary as far as the agent knows: a
   * promotion here may have happened after its last read, so its database is fenced if writable.
   */
  RenewDeadlinePassedStandby: "RenewDeadlinePassedStandby",
} as const;
export type FenceReason = (typeof FenceReason)[keyof typeof FenceReason];

export interface FenceDecision {
  fence: FenceScope;
  reason: FenceReason;
}

/**
 * The agent's promise to the hub: once its region Lease has gone unrenewed for an app's renew
 * deadline (and the failsafe does not hold), no database of that app in its region takes writes,
 * whatever the agent last read about who is primary.
 */
export function decideAppFence(f: AgentFacts): FenceDecision {
  const decide = (fence: FenceScope, reason: FenceReason): FenceDecision => ({ fence, reason });
  if (f.assignment.handover?.fromCluster === f.self) return decide("app", FenceReason.HandedOver);
  const primaryHere = f.assignment.primaryCluster === f.self || f.assignment.handover?.toCluster === f.self;
  if (f.firstRenewalPending) return decide("none", FenceReason.StartingUp);
  // An agent whose first renewal failed counts as past its deadline: its previous process may have
  // renewed last just before it died, and the hub counts from then.
  if (f.sinceRenewalMs !== undefined && f.sinceRenewalMs <= f.timing.renewDeadlineMs) {
    return decide("none", primaryHere ? FenceReason.LeaseRenewed : FenceReason.NotPrimary);
  }
  const silent = new Set([f.self, ...f.covering]);
  const safeIn = (members: readonly string[]) => hubCannotFormMajority(members, silent);
  // Both views must agree: the one the hub may still hold (advertised) and the agent's newest.
  if (safeIn(f.members) && (f.advertised === undefined || safeIn(f.advertised))) {
    return decide("none", FenceReason.FailsafePromised);
  }
  return primaryHere
    ? decide("app", FenceReason.RenewDeadlinePassed)
    : decide("database", FenceReason.RenewDeadlinePassedStandby);
}
