// The hub's rule for leaving a region it cannot reach: promote away only from the majority side.
// Pure; the inputs come from LeaseObservations (fresh reads, the hub's own clock).
import { hubHasMajority } from "./quorum.ts";
import { expiryMs, type FencingTiming } from "./timing.ts";

export interface PromoteAwayFacts {
  /** The member cluster of the old primary. */
  oldCluster: string;
  /** The member clusters the hub knows (one agent each). */
  members: readonly string[];
  /** The voter set the old primary's agent last advertised on its Lease, if any. */
  advertised: readonly string[] | undefined;
  /** How long the old primary's region Lease has certainly gone unrenewed (hub clock). */
  unrenewedForMs: number;
  /** Agents with a vote inside this app's voter window. */
  voting: ReadonlySet<string>;
  timing: FencingTiming;
}

export type PromoteAwayVerdict =
  | { ok: true; message: string }
  | { ok: false; reason: "LeaseNotExpired" | "NoMajority"; message: string; waitMs?: number };

export function mayPromoteAway(f: PromoteAwayFacts): PromoteAwayVerdict {
  const needMs = expiryMs(f.timing);
  if (f.unrenewedForMs < needMs) {
    return {
      ok: false,
      reason: "LeaseNotExpired",
      message: `${f.oldCluster}'s region Lease unrenewed for ${(f.unrenewedForMs / 1000).toFixed(1)} s of the ${(needMs / 1000).toFixed(1)} s needed`,
      waitMs: needMs - f.unrenewedForMs,
    };
  }
  const voting = new Set([...f.voting].filter((c) => c !== f.oldCluster));
  const inMembers = hubHasMajority(f.members, voting);
  const inAdvertised = f.advertised === undefined || hubHasMajority(f.advertised, voting);
  if (!inMembers || !inAdvertised) {
    const names = [...voting].sort().join(", ") || "none";
    return {
      ok: false,
      reason: "NoMajority",
      message: `the hub and the agents voting now (${names}) are not a majority of ${inMembers ? `the voters ${f.oldCluster} last knew [${f.advertised?.join(", ")}]` : `[hub, ${f.members.join(", ")}]`}: the old primary may still be serving on its peers' promises`,
    };
  }
  return {
    ok: true,
    message: `${f.oldCluster}'s region Lease unrenewed for ${(f.unrenewedForMs / 1000).toFixed(1)} s and a majority votes`,
  };
}
