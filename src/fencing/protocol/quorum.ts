// Majorities over the voters: the hub plus one agent per member cluster. Pure counting, shared by
// the hub (may it promote away from a region?) and the agent (does the failsafe hold?), so the two
// sides cannot disagree about arithmetic.

/** Voters needed for a majority when `agents` agents and the hub vote. */
export function majority(agents: number): number {
  return Math.floor((agents + 1) / 2) + 1;
}

/**
 * True when the hub together with the agents in `voting` forms a majority of `members` (each
 * member cluster has one agent). Agents outside `members` do not count.
 */
export function hubHasMajority(members: readonly string[], voting: ReadonlySet<string>): boolean {
  const votes = 1 + members.filter((m) => voting.has(m)).length;
  return votes >= majority(members.length);
}

/**
 * True when the hub cannot form a majority of `members` whatever the agents outside `silent` do:
 * `silent` are the agents known not to vote (the asker itself and the peers that promised).
 */
export function hubCannotFormMajority(members: readonly string[], silent: ReadonlySet<string>): boolean {
  const couldVote = new Set(members.filter((m) => !silent.has(m)));
  return !hubHasMajority(members, couldVote);
}
