import type { Client } from "pg";
import type { PromotionState } from "../promoter.ts";
import { currentTimeline, type EpochRecord, readEpochRecord } from "./epoch-record.ts";
import { DatabaseNotFound } from "./errors.ts";

/** What the promotion check needs to know, read in one place so the judgement can be a pure function. */
export interface PromotionFacts {
  database: string;
  inRecovery: boolean;
  /** The timeline the server writes on; undefined in recovery (it writes none). */
  timeline: number | undefined;
  acceptsConnections: boolean;
  record: EpochRecord | undefined;
}

export async function readPromotionFacts(
  client: Client,
  database: string,
  where: string,
): Promise<PromotionFacts> {
  const { rows } = await client.query<{ inRecovery: boolean; datallowconn: boolean | null }>(
    `select pg_is_in_recovery() as "inRecovery",
       (select datallowconn from pg_database where datname = $1) as datallowconn`,
    [database],
  );
  const row = rows[0];
  if (!row || row.datallowconn === null) {
    throw new DatabaseNotFound(`${where}: the server has no database ${database}`);
  }
  return {
    database,
    inRecovery: row.inRecovery,
    timeline: row.inRecovery ? undefined : await currentTimeline(client),
    acceptsConnections: row.datallowconn,
    record: await readEpochRecord(client, database),
  };
}

/**
 * Promoted at `epoch`, or which parts are missing. pg_promote() and the reopen are two transactions,
 * so a crash between them leaves a server out of recovery whose application database is still
 * closed and whose record still says what replicated from the old primary: that is not promoted.
 */
export function judgePromotion(facts: PromotionFacts, epoch: number): PromotionState {
  const { database, record, timeline } = facts;
  const not = (why: string): PromotionState => ({
    promoted: false,
    detail: `not promoted at epoch ${epoch}: ${why}`,
  });
  if (facts.inRecovery) {
    return not(
      "the server is still a replica (in recovery): pg_promote() has not run or not finished; call promote()",
    );
  }
  if (record?.action === "fenced" && record.timeline === timeline) {
    return not(
      `this is the primary Meridian fenced at epoch ${record.epoch} (the fence is recorded on the timeline it still writes, ${timeline}), not a promoted replica; it must be rebuilt as a replica before it serves again`,
    );
  }
  const missing: string[] = [];
  if (!record) {
    missing.push(`no promotion of ${database} is recorded in public.meridian_epoch of database postgres`);
  } else if (record.action === "fenced") {
    missing.push(
      `the server is out of recovery, but its record still says fenced at epoch ${record.epoch} on timeline ${record.timeline}, as it replicated from the old primary: the promotion was interrupted before it was recorded`,
    );
  } else if (record.timeline !== timeline) {
    missing.push(
      `the promotion recorded at epoch ${record.epoch} is from timeline ${record.timeline}, and this server writes timeline ${timeline}: that record replicated from an earlier primary`,
    );
  } else if (record.epoch < epoch) {
    missing.push(`the promotion is recorded at epoch ${record.epoch}, older than epoch ${epoch}`);
  }
  if (!facts.acceptsConnections) {
    missing.push(`${database} still refuses connections (the old primary's fence, replicated here)`);
  }
  if (missing.length > 0) return not(`${missing.join("; ")}; call promote() to finish`);
  return {
    promoted: true,
    detail: `out of recovery, promotion recorded at epoch ${record?.epoch} on timeline ${timeline}, and ${database} accepts connections`,
  };
}
