import type { Client } from "pg";
import { DatabaseAccessDenied, DatabaseNotWritable, type PostgresPromoterError } from "./errors.ts";
import type { ExplainError } from "./session.ts";

/**
 * Meridian's table in the application database, written by verifyWrite: one row per epoch (so it
 * stays small), when the new primary last took Meridian's test write. It replicates like any table.
 */
export const writeCheckTable = "public.meridian_write_check";

/** Commits one row at `epoch` on a session connected to the application database. */
export async function writeCheckRow(client: Client, epoch: number): Promise<void> {
  try {
    await client.query(`create table if not exists ${writeCheckTable} (
      epoch bigint primary key,
      written_at timestamptz not null default now()
    )`);
  } catch (err) {
    // Two first checks at once: the loser's CREATE fails on the catalog's unique index. The table is there.
    const code = (err as { code?: unknown }).code;
    if (code !== "23505" && code !== "42P07") throw err;
  }
  await client.query(
    `insert into ${writeCheckTable} (epoch) values ($1)
     on conflict (epoch) do update set written_at = now()`,
    [epoch],
  );
}

/** Says what a failed test write means for DNS, in the errors the application would see too. */
export function explainWriteFailure(where: string, database: string): ExplainError {
  return (code, detail): PostgresPromoterError | undefined => {
    switch (code) {
      case "55000": // database "x" is not currently accepting connections
        return new DatabaseNotWritable(
          `${where}: the test write was refused (${detail}): ${database} is closed to connections, because this server is fenced or its promotion was not finished (promote() reopens it); the application cannot write here, so DNS must not point here`,
        );
      case "25006": // cannot execute INSERT in a read-only transaction
        return new DatabaseNotWritable(
          `${where}: the test write was refused (${detail}): the server is read-only, a replica in recovery or with default_transaction_read_only on; the application cannot write here, so DNS must not point here`,
        );
      case "42501":
        return new DatabaseAccessDenied(
          `${where}: the test write was refused (${detail}); Meridian's user needs CREATE on schema public of ${database} (or ${writeCheckTable} created ahead with INSERT and UPDATE granted to it), see docs/postgresql.md`,
        );
      default:
        return undefined;
    }
  };
}
