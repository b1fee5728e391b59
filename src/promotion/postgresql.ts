// The `postgresql` engine: talks SQL to each region's server directly. Design and the privileges it
// needs: docs/postgresql.md. In short, the fence closes the application database to every new
// connection and terminates the open ones (a real fence, unlike default_transaction_read_only,
// which any session may turn off), and an epoch table makes a stale actor's fence or promotion fail.

import { setTimeout as delay } from "node:timers/promises";
import { type Client, escapeIdentifier } from "pg";
import { parseLsn } from "./lsn.ts";
import {
  currentTimeline,
  readEpochRecord,
  refuseOlderEpoch,
  writeEpochRecord,
} from "./postgresql/epoch-record.ts";
import {
  DatabaseIsReplica,
  DatabaseNotFound,
  DatabaseQueryFailed,
  FencedPrimaryNotPromotable,
  PromoteTimeout,
} from "./postgresql/errors.ts";
import { inTransaction, type SessionTimeouts, withMaintenanceSession } from "./postgresql/session.ts";
import { type DatabaseTarget, parseDatabaseUri } from "./postgresql/uri.ts";
import type { DatabaseEndpoint, Promoter, ReplicaState } from "./promoter.ts";

export interface PostgresPromoterOptions {
  /** TCP connect plus login, per call. Default 5 s. */
  connectTimeoutMs?: number;
  /** Each statement (promote adds its own timeout on top). Default 10 s. */
  statementTimeoutMs?: number;
}

/** How often the fence looks for sessions still exiting after pg_terminate_backend. */
const terminatePollMs = 10;

export class PostgresPromoter implements Promoter {
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
           exists (select 1 from pg_stat_wal_receiver where status = 'streaming') as streaming`,
      );
      return rows[0] as ReplicaState;
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
      await this.#terminateSessions(client, target.database, where);
    });
  }

  async isFenced(db: DatabaseEndpoint): Promise<boolean> {
    return this.#session(db, async (client, target, where) => {
      const { rows } = await client.query<{ datallowconn: boolean }>(
        "select datallowconn from pg_database where datname = $1",
        [target.database],
      );
      const row = rows[0];
      if (!row) throw new DatabaseNotFound(`${where}: the server has no database ${target.database}`);
      return !row.datallowconn;
    });
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
        if (await inRecovery(client)) await promoteReplica(client, waitSeconds, where);
        const timeline = await currentTimeline(client);
        // Promotion always starts a new timeline, so a record of a fence on this very timeline means
        // this server is the old primary itself, not a replica promoted after the fence replicated.
        if (record?.action === "fenced" && record.timeline === timeline) {
          throw new FencedPrimaryNotPromotable(
            `${where} is the primary Meridian fenced at epoch ${record.epoch} and has not been rebuilt since; reopening it could leave two primaries or drop the writes taken elsewhere. Rebuild it as a replica of the current primary (pg_basebackup or pg_rewind), or, if you are certain it is the only primary, run ALTER DATABASE ${escapeIdentifier(target.database)} WITH ALLOW_CONNECTIONS true yourself`,
          );
        }
        // The old primary's fence replicated here too: reopen the database on the new primary.
        await inTransaction(client, async () => {
          await writeEpochRecord(client, target.database, { epoch, action: "promoted", timeline }, where);
          await client.query(
            `alter database ${escapeIdentifier(target.database)} with allow_connections true`,
          );
        });
      },
      timeouts,
    );
  }

  /**
   * Terminates every session of `database` and returns once none is left. It polls rather than use
   * pg_terminate_backend's own wait, which sleeps in 100 ms steps; a backend leaves
   * pg_stat_activity only after aborting its transaction. A connection that passed its check just
   * before the fence committed shows up in a later scan and is terminated too.
   */
  async #terminateSessions(client: Client, database: string, where: string): Promise<void> {
    const deadline = Date.now() + this.#timeouts.statementTimeoutMs;
    for (;;) {
      const { rows } = await client.query<{ found: number }>(
        `select count(pg_terminate_backend(pid))::int as found
           from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [database],
      );
      if (rows[0]?.found === 0) return;
      if (Date.now() > deadline) {
        throw new DatabaseQueryFailed(
          `${where}: sessions of ${database} survived pg_terminate_backend for ${this.#timeouts.statementTimeoutMs} ms; connections are refused, but check pg_stat_activity before trusting the fence`,
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
