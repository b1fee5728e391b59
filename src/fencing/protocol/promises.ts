// The failsafe as a promise (after Patroni's failsafe_mode, made safe against a hub that can still
// count votes): an agent that cannot renew its region Lease keeps its primaries only while enough
// peers have promised that their own votes are out of the hub's reach. A promise says "I have cast
// no vote for `quietMs`, and I will cast none for `holdMs`"; its giver then renews abstaining. The
// proof that the hub can never count a promiser's vote while the promise covers the asker is in
// docs/fencing.md.
import {
  type AgentCadence,
  driftAllowance,
  type FencingTiming,
  fenceMarginMs,
  promiseQuietMs,
} from "./timing.ts";

/** A promise as the asker keeps it. `askedAt` is the asker's clock when the question was sent. */
export interface FailsafePromise {
  peer: string;
  askedAt: number;
  quietMs: number;
  holdMs: number;
}

/** What an agent knows about its own votes, for deciding whether it may promise. */
export interface VoteHistory {
  /** When the latest renewal that did not abstain was sent (successful or not); undefined: never. */
  lastVoteSentAt: number | undefined;
  /** When the latest successful renewal of any kind was sent; undefined: never since start. */
  lastRenewalSentAt: number | undefined;
  /** The agent's start: before it, the previous process may have voted. */
  startedAt: number;
}

/**
 * The promise this agent can give now, or why not. It gives one only when it cannot reach the hub
 * itself (no renewal of any kind for `abstainAfterMs`) — a peer that reaches the hub must let the
 * hub decide — and only when no vote of its own can still land: the latest vote's request has
 * timed out. A process that just started counts its start as a vote (the previous one may have cast
 * one a moment before).
 */
export function promiseToGive(
  h: VoteHistory,
  cadence: AgentCadence,
  now: number,
): { quietMs: number; holdMs: number } | { refused: string } {
  const lastRenewal = h.lastRenewalSentAt ?? h.startedAt;
  if (now - lastRenewal < cadence.abstainAfterMs) return { refused: "this agent reaches the hub" };
  const lastVote = Math.max(h.lastVoteSentAt ?? h.startedAt, h.startedAt);
  const quietMs = now - (lastVote + cadence.requestTimeoutMs);
  if (quietMs <= 0) return { refused: "a vote of this agent may still be in flight" };
  return { quietMs, holdMs: cadence.promiseHoldMs };
}

/** True when renewals must abstain now: a promise binds, or the hub has not been reached lately. */
export function mustAbstain(
  h: VoteHistory,
  cadence: AgentCadence,
  abstainUntil: number,
  now: number,
): boolean {
  if (now < abstainUntil) return true;
  const lastRenewal = h.lastRenewalSentAt ?? h.startedAt;
  return now - lastRenewal >= cadence.abstainAfterMs;
}

/**
 * The peers whose promises cover this app's failsafe right now. A promise stops covering a fence
 * margin before its giver may vote again (shrunk for drift), so the asker has time to finish a fence.
 */
export function coveringPeers(
  promises: readonly FailsafePromise[],
  t: FencingTiming,
  now: number,
): Set<string> {
  const peers = new Set<string>();
  for (const p of promises) {
    const stillHeld = now <= p.askedAt + p.holdMs * (1 - driftAllowance) - fenceMarginMs;
    if (stillHeld && p.quietMs >= promiseQuietMs(t)) peers.add(p.peer);
  }
  return peers;
}
