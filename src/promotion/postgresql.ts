// The `postgresql` engine: talks SQL to each region's server directly. Design and the privileges it
// needs: docs/postgresql.md. In short, the fence closes the application database to every new
// connection and terminates the open ones (a real fence, unlike default_transaction_read_only,
// which any session may turn off), and an epoch table makes a stale actor's fence or promotion fail.
// fenceState and promotionState re-read every part of a step from the server, so a controller that
// crashed half-way through one sees exactly which part is missing.

import { setTimeout as delay } from "node:timers/promises";
import { type Client, escapeIdentifier } from "pg";
import { crashPoint } from "../runtime/crash-point.ts";
import { parseLsn } from "./lsn.ts";
import {
  currentTimeline,
  readEpochRecord,
  refuseOlderEpoch,
  writeEpochRecord,
} from "./postgresql/epoch-record.ts";
import {
  DatabaseAccessDenied,
  DatabaseIsReplica,
  DatabaseQueryFailed,
  FencedPrimaryNotPromotable,
  PromoteTimeout,
} from "./postgresql/errors.ts";
import { applicationSessions, judgeFence, readFenceFacts } from "./postgresql/fence-state.ts";
import { judgePromotion, readPromotionFacts } from "./postgresql/promotion-state.ts";
import {
  inTransaction,
  type SessionTimeouts,
  withApplicationSession,
  withMaintenanceSession,
} from "./postgresql/session.ts";
import { type DatabaseTarget, parseDatabaseUri } from "./postgresql/uri.ts";
import { explainWriteFailure, writeCheckRow } from "./postgresql/write-check.ts";
import type { DatabaseEndpoint, FenceState, Promoter, PromotionState, ReplicaState } from "./promoter.ts";

export interface PostgresPromoterOptions {
  /** TCP connect plus login, per call. Default 5 s. */
  connectTimeoutMs?: number;
  /** Each statement (promote adds its own timeout on top). Default 10 s. */
  statementTimeoutMs?: number;
}

/** How often the fence looks for sessions still exiting after pg_terminate_backend. */
const terminatePollMs = 10;

export class PostgresPromoter implements Promoter {
  readonly reportsPositions = true;
  readonly #timeouts: SessionTimeouts;

  constructor(options: PostgresPromoterOptions = {}) {
    this.#timeouts = {
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      statementTimeoutMs: options.statementTimeoutMs ?? 10_000,
    };
  }

  async state(db: DatabaseEndpoint): Promise<ReplicaState> {
    return this.#session(db, async (client) => {
      const { rows } = await client.query<ReplicaState>(
        `select pg_is_in_recovery() as "inRecovery",
           coalesce(case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end,
                    '0/0')::text as lsn,
           exists (select 1 from pg_stat_wal_receiver where status = 'streaming') as streaming,
           case when pg_is_in_recovery()
                then extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end as "replayAgeSeconds"`,
      );
      const row = rows[0] as Omit<ReplicaState, "replayAgeSeconds"> & { replayAgeSeconds: number | null };
      const { replayAgeSeconds, ...state } = row;
      return replayAgeSeconds === null ? state : { ...state, replayAgeSeconds };
    });
  }

  async lagBytes(db: DatabaseEndpoint, ahead: string, behind: string): Promise<number> {
    parseLsn(ahead); // refuse malformed positions here, with a clear message, not as a SQL error
    parseLsn(behind);
    return this.#session(db, async (client) => {
      const { rows } = await client.query<{ diff: string }>(
        "select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text as diff",
        [ahead, behind],
      );
      return Number(rows[0]?.diff);
    });
  }

  async fence(db: DatabaseEndpoint, epoch: number): Promise<void> {
    assertEpoch(epoch);
    await this.#session(db, async (client, target, where) => {
      if (await inRecovery(client)) {
        throw new DatabaseIsReplica(
          `${where} is a replica (in recovery): it takes no writes, and its catalog only changes through its primary; fence the primary instead`,
        );
      }
      const timeline = await currentTimeline(client);
      // One transaction: a stale epoch changes nothing, and the record never says "fenced" unless it is.
      await inTransaction(client, async () => {
        await writeEpochRecord(client, target.database, { epoch, action: "fenced", timeline }, where);
        await client.query(
          `alter database ${escapeIdentifier(target.database)} with allow_connections false`,
        );
      });
      // The gap the first design lost a failover in: connections refused, old sessions still open.
      crashPoint("postgresql.after-close-connections");
      await this.#terminateSessions(client, target.database, epoch, where);
    });
  }

  async fenceState(db: DatabaseEndpoint, epoch: number): Promise<FenceState> {
    assertEpoch(epoch);
    return this.#session(db, async (client, target, where) =>
      judgeFence(await readFenceFacts(client, target.database, where), epoch),
    );
  }

  async promote(db: DatabaseEndpoint, epoch: number, timeoutSeconds: number): Promise<void> {
    assertEpoch(epoch);
    const waitSeconds = Math.max(1, Math.ceil(timeoutSeconds));
    const timeouts = {
      ...this.#timeouts,
      statementTimeoutMs: this.#timeouts.statementTimeoutMs + waitSeconds * 1000,
    };
    await this.#session(
      db,
      async (client, target, where) => {
        const record = await readEpochRecord(client, target.database);
        refuseOlderEpoch(record, epoch, where); // before anything changes
        if (await inRecovery(client)) {
          await promoteReplica(client, waitSeconds, where);
          // Promoted, not yet reopened: promotionState must say "not promoted" until the reopen.
          crashPoint("postgresql.after-pg-promote");
        }
        const timeline = await currentTimeline(client);
        // Promotion always starts a new timeline, so a record of a fence on this very timeline means
        // this server is the old primary itself, not a replica promoted after the fence replicated.
        if (record?.action === "fenced" && record.timeline === timeline) {
          throw new FencedPrimaryNotPromotable(
            `${where} is the primary Meridian fenced at epoch ${record.epoch} and has not been rebuilt since; reopening it could leave two primaries or drop the writes taken elsewhere. Rebuild it as a replica of the current primary (pg_basebackup or pg_rewind), or, if you are certain it is the only primary, run ALTER DATABASE ${escapeIdentifier(target.database)} WITH ALLOW_CONNECTIONS true yourself`,
          );
        }
        // The old primary's fence replicated here too: reopen the database on the new primary. A
        // crash before this commit leaves a promoted but closed server, which promotionState reports
        // as not promoted, and a second call (pg_promote skipped: out of recovery) completes here.
        await inTransaction(client, async () => {
          await writeEpochRecord(client, target.database, { epoch, action: "promoted", timeline }, where);
          await client.query(
            `alter database ${escapeIdentifier(target.database)} with allow_connections true`,
          );
        });
        // Return only on the same evidence a resumed controller would check.
        const done = judgePromotion(await readPromotionFacts(client, target.database, where), epoch);
        if (!done.promoted) throw new DatabaseQueryFailed(`${where}: promote finished, yet ${done.detail}`);
      },
      timeouts,
    );
  }

  async reopen(db: DatabaseEndpoint, epoch: number): Promise<void> {
    assertEpoch(epoch);
    await this.#session(db, async (client, target, where) => {
      if (await inRecovery(client))
        throw new DatabaseIsReplica(`${where} is a replica: there is no fence of it to undo`);
      const record = await readEpochRecord(client, target.database);
      const timeline = await currentTimeline(client);
      const ours = record?.epoch === epoch && record.timeline === timeline;
      if (ours && record?.action === "promoted") return; // reopened already
      if (!ours || record?.action !== "fenced") {
        throw new DatabaseQueryFailed(
          `${where}: its epoch record is ${record ? `${record.action} at epoch ${record.epoch} on timeline ${record.timeline}` : "missing"}, not this promotion's fence at epoch ${epoch} on timeline ${timeline}; it is not reopened`,
        );
      }
      await inTransaction(client, async () => {
        await writeEpochRecord(client, target.database, { epoch, action: "promoted", timeline }, where);
        await client.query(`alter database ${escapeIdentifier(target.database)} with allow_connections true`);
      });
    });
  }

  async promotionState(db: DatabaseEndpoint, epoch: number): Promise<PromotionState> {
    assertEpoch(epoch);
    return this.#session(db, async (client, target, where) =>
      judgePromotion(await readPromotionFacts(client, target.database, where), epoch),
    );
  }

  async verifyWrite(db: DatabaseEndpoint, epoch: number): Promise<void> {
    assertEpoch(epoch);
    const target = parseDatabaseUri(db.uri);
    const where = `region ${db.region} database ${target.redacted}`;
    await withApplicationSession(
      target,
      where,
      this.#timeouts,
      (client) => writeCheckRow(client, epoch),
      explainWriteFailure(where, target.database),
    );
  }

  /**
   * Terminates every session of `database` and returns once none is left. It polls rather than use
   * pg_terminate_backend's own wait, which sleeps in 100 ms steps; a backend leaves
   * pg_stat_activity only after aborting its transaction. A connection that passed its check just
   * before the fence committed shows up in a later scan and is terminated too.
   */
  async #terminateSessions(client: Client, database: string, epoch: number, where: string): Promise<void> {
    const deadline = Date.now() + this.#timeouts.statementTimeoutMs;
    // What is still missing, for the error: the sessions left and why they could not be ended.
    const missing = async () => judgeFence(await readFenceFacts(client, database, where), epoch).detail;
    for (;;) {
      let found: number | undefined;
      try {
        const { rows } = await client.query<{ found: number }>(
          `select count(pg_terminate_backend(pid))::int as found ${applicationSessions}`,
          [database],
        );
        found = rows[0]?.found;
      } catch (err) {
        // pg_terminate_backend raises, rather than returns false, for a session we may not signal.
        if ((err as { code?: unknown }).code !== "42501") throw err;
        throw new DatabaseAccessDenied(
          `${where}: the fence closed ${database} to new connections, but could not end its open sessions, which can still commit: ${await missing()}`,
        );
      }
      if (found === 0) return;
      if (Date.now() > deadline) {
        throw new DatabaseQueryFailed(
          `${where}: sessions survived pg_terminate_backend for ${this.#timeouts.statementTimeoutMs} ms; ${await missing()}`,
        );
      }
      await delay(terminatePollMs);
    }
  }

  #session<T>(
    db: DatabaseEndpoint,
    work: (client: Client, target: DatabaseTarget, where: string) => Promise<T>,
    timeouts: SessionTimeouts = this.#timeouts,
  ): Promise<T> {
    const target = parseDatabaseUri(db.uri);
    const where = `region ${db.region} database ${target.redacted}`;
    return withMaintenanceSession(target, where, timeouts, (client) => work(client, target, where));
  }
}

async function inRecovery(client: Client): Promise<boolean> {
  const { rows } = await client.query<{ recovering: boolean }>("select pg_is_in_recovery() as recovering");
  return rows[0]?.recovering === true;
}

async function promoteReplica(client: Client, waitSeconds: number, where: string): Promise<void> {
  try {
    const { rows } = await client.query<{ promoted: boolean }>("select pg_promote(true, $1) as promoted", [
      waitSeconds,
    ]);
    if (!rows[0]?.promoted) {
      throw new PromoteTimeout(
        `${where} was asked to promote but was still in recovery after ${waitSeconds} s; it may be replaying a large backlog (see its log). Promotion goes on in the background: calling promote again waits for it`,
      );
    }
  } catch (err) {
    // Someone else's promotion finished first: "recovery is not in progress". The check below decides.
    if ((err as { code?: unknown }).code !== "55000") throw err;
  }
  if (await inRecovery(client)) {
    throw new PromoteTimeout(
      `${where}: pg_promote finished, yet the server still reports pg_is_in_recovery()`,
    );
  }
}

function assertEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
  }
}
