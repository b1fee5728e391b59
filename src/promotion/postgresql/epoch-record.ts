import type { Client } from "pg";
import { EpochTooOld } from "./errors.ts";

/**
 * What Meridian last did to an application database, kept per database in the table
 * `public.meridian_epoch` of the server's maintenance database. It is ordinary data, so it
 * replicates: a replica knows the epoch its primary was fenced at before anyone promotes it.
 */
export interface EpochRecord {
  epoch: number;
  action: "fenced" | "promoted";
  /** The server's WAL timeline when it was written: promotion starts a new one. */
  timeline: number;
}

const table = "public.meridian_epoch";

export async function readEpochRecord(client: Client, database: string): Promise<EpochRecord | undefined> {
  // A replica whose primary was never fenced has no table yet, and being read-only cannot make one.
  const { rows: found } = await client.query<{ present: boolean }>(
    `select to_regclass('${table}') is not null as present`,
  );
  if (!found[0]?.present) return undefined;
  const { rows } = await client.query<{ epoch: string; action: EpochRecord["action"]; timeline: number }>(
    `select epoch::text, action, timeline from ${table} where datname = $1`,
    [database],
  );
  const row = rows[0];
  return row && { epoch: Number(row.epoch), action: row.action, timeline: row.timeline };
}

/** Throws EpochTooOld when the database has seen a newer epoch than the caller's. */
export function refuseOlderEpoch(record: EpochRecord | undefined, epoch: number, where: string): void {
  if (record && record.epoch > epoch) throw new EpochTooOld(where, record.epoch, epoch);
}

/**
 * Records `record` unless a newer epoch is already there (then EpochTooOld): the check and the
 * write are one statement, so two callers racing cannot both win. Needs a writable server.
 */
export async function writeEpochRecord(
  client: Client,
  database: string,
  record: EpochRecord,
  where: string,
): Promise<void> {
  await client.query(`create table if not exists ${table} (
    datname name primary key,
    epoch bigint not null check (epoch >= 0),
    action text not null check (action in ('fenced', 'promoted')),
    timeline integer not null,
    recorded_at timestamptz not null default now()
  )`);
  const { rowCount } = await client.query(
    `insert into ${table} as r (datname, epoch, action, timeline) values ($1, $2, $3, $4)
     on conflict (datname) do update
       set epoch = excluded.epoch, action = excluded.action, timeline = excluded.timeline, recorded_at = now()
       where r.epoch <= excluded.epoch`,
    [database, record.epoch, record.action, record.timeline],
  );
  if (rowCount === 0) {
    refuseOlderEpoch(await readEpochRecord(client, database), record.epoch, where);
  }
}

/** The WAL timeline a primary writes on (pg_walfile_name's first 8 hex digits). */
export async function currentTimeline(client: Client): Promise<number> {
  const { rows } = await client.query<{ walfile: string }>(
    "select pg_walfile_name(pg_current_wal_lsn()) as walfile",
  );
  return Number.parseInt(rows[0]?.walfile.slice(0, 8) ?? "", 16);
}
