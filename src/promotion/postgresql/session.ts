import { Client, DatabaseError } from "pg";
import {
  DatabaseAccessDenied,
  DatabaseNotFound,
  DatabaseQueryFailed,
  DatabaseUnreachable,
  PostgresPromoterError,
} from "./errors.ts";
import { type DatabaseTarget, maintenanceDatabase, scrubSecrets } from "./uri.ts";

export interface SessionTimeouts {
  /** TCP connect plus authentication. */
  connectTimeoutMs: number;
  /** Each statement, enforced by the server and again by the client (a hung server never answers). */
  statementTimeoutMs: number;
}

/** A server that answered neither the statement nor its cancellation gets this much longer. */
const clientGraceMs = 1000;
/** How long a polite goodbye may take before the socket is simply closed. */
const closeTimeoutMs = 1000;

/**
 * Turns a server error that only the caller can explain (say, 55000 on connecting to a fenced
 * database) into its own error; undefined leaves it to the general rules. `detail` is scrubbed.
 */
export type ExplainError = (code: string, detail: string) => PostgresPromoterError | undefined;

/**
 * Runs `work` on a new connection to the target server's maintenance database and closes it,
 * whatever happens. Every failure leaves as a PostgresPromoterError that names `where` and never
 * the password. One connection per call: promoter calls are rare (one per probe interval or step),
 * and a fresh connection also proves the server accepts connections right now.
 */
export function withMaintenanceSession<T>(
  target: DatabaseTarget,
  where: string,
  timeouts: SessionTimeouts,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  return withSession(target.maintenanceUri, target, where, timeouts, work);
}

/**
 * The same, on a connection to the application database itself: only verifyWrite goes there, as
 * the application would. A fence closes that database, so nothing else may depend on reaching it.
 */
export function withApplicationSession<T>(
  target: DatabaseTarget,
  where: string,
  timeouts: SessionTimeouts,
  work: (client: Client) => Promise<T>,
  explain?: ExplainError,
): Promise<T> {
  return withSession(target.applicationUri, target, where, timeouts, work, explain);
}

async function withSession<T>(
  connectionString: string,
  target: DatabaseTarget,
  where: string,
  timeouts: SessionTimeouts,
  work: (client: Client) => Promise<T>,
  explain?: ExplainError,
): Promise<T> {
  let client: Client | undefined;
  try {
    client = new Client({
      connectionString,
      connectionTimeoutMillis: timeouts.connectTimeoutMs,
      statement_timeout: timeouts.statementTimeoutMs,
      lock_timeout: timeouts.statementTimeoutMs,
      query_timeout: timeouts.statementTimeoutMs + clientGraceMs,
      application_name: "meridian",
    });
    // A socket error after the last query must not become an unhandled 'error' event.
    client.on("error", () => undefined);
    await client.connect();
    return await work(client);
  } catch (err) {
    throw toPromoterError(err, where, target.secrets, timeouts, explain);
  } finally {
    if (client) await closeQuietly(client);
  }
}

/** Runs `work` in a transaction, rolled back when it throws. */
export async function inTransaction<T>(client: Client, work: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    const result = await work();
    await client.query("commit");
    return result;
  } catch (err) {
    await client.query("rollback").catch(() => undefined); // the error that matters is `err`
    throw err;
  }
}

async function closeQuietly(client: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), closeTimeoutMs);
  });
  const outcome = await Promise.race([client.end().catch(() => undefined), gaveUp]);
  clearTimeout(timer);
  // A stopped (SIGSTOP) server never acknowledges the goodbye.
  if (outcome === "timeout") client.connection.stream.destroy();
}

/** SQLSTATE classes and codes that mean the server is not (or no longer) there for us. */
const unavailableCodes = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"]);

function toPromoterError(
  err: unknown,
  where: string,
  secrets: readonly string[],
  timeouts: SessionTimeouts,
  explain?: ExplainError,
): PostgresPromoterError {
  if (err instanceof PostgresPromoterError) return err;
  const scrub = (text: string) => scrubSecrets(text, secrets);
  const detail = scrub(err instanceof Error ? err.message : String(err));
  const code = (err as { code?: unknown }).code;
  if (err instanceof DatabaseError) {
    const explained = explain?.(String(code), detail);
    if (explained) return explained;
    if (code === "28P01" || code === "28000") {
      return new DatabaseAccessDenied(
        `${where}: the server refused the login (${detail}); check the user and password in the Secret's uri`,
      );
    }
    if (code === "42501") {
      return new DatabaseAccessDenied(
        `${where}: ${detail}; Meridian's database user needs the privileges listed in docs/postgresql.md (a superuser has them)`,
      );
    }
    if (code === "3D000") {
      return new DatabaseNotFound(
        `${where}: ${detail}; the uri must name an existing database, and Meridian also needs the maintenance database ${maintenanceDatabase} on the same server`,
      );
    }
    if (code === "57014") {
      return new DatabaseUnreachable(
        `${where}: a statement did not finish within ${timeouts.statementTimeoutMs} ms (${detail}); the server is overloaded or waiting on a lock`,
      );
    }
    if (typeof code === "string" && unavailableCodes.has(code)) {
      return new DatabaseUnreachable(`${where}: the server is not accepting work (${detail})`);
    }
    return new DatabaseQueryFailed(`${where}: the server reported ${code}: ${detail}`);
  }
  return new DatabaseUnreachable(
    `${where}: unreachable (${detail}); Meridian waits ${timeouts.connectTimeoutMs} ms for a connection and ${timeouts.statementTimeoutMs} ms per statement. Check that the server runs and that the Secret's uri names the right host and port`,
  );
}
