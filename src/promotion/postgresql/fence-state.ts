import type { Client } from "pg";
import type { FenceState } from "../promoter.ts";
import { type EpochRecord, readEpochRecord } from "./epoch-record.ts";
import { DatabaseNotFound } from "./errors.ts";

/**
 * The sessions a fence must end: every backend of the application database that runs as a role
 * (clients, and background workers acting for one). That leaves out autovacuum, which takes no
 * application writes and which the server may start on a closed database anyway. Filtered on
 * usesysid, which every role can see, not on backend_type, which pg_stat_activity hides from a role
 * without pg_read_all_stats for other roles' sessions (a filter on it would skip exactly those).
 * Meridian's own sessions run in the maintenance database and never match.
 */
export const applicationSessions = `from pg_stat_activity
  where datname = $1 and pid <> pg_backend_pid() and usesysid is not null`;

export interface OpenSession {
  pid: number;
  role: string;
  /** A superuser's session can only be ended by a superuser. */
  superuser: boolean;
}

/** What the fence check needs to know, read in one place so the judgement can be a pure function. */
export interface FenceFacts {
  database: string;
  acceptsConnections: boolean;
  sessions: OpenSession[];
  record: EpochRecord | undefined;
  /** Meridian's own user: whether it may end other roles' sessions at all. */
  self: { role: string; superuser: boolean; signalBackend: boolean };
}

export async function readFenceFacts(client: Client, database: string, where: string): Promise<FenceFacts> {
  const { rows: dbs } = await client.query<{ datallowconn: boolean }>(
    "select datallowconn from pg_database where datname = $1",
    [database],
  );
  const db = dbs[0];
  if (!db) throw new DatabaseNotFound(`${where}: the server has no database ${database}`);
  // pid and usename are visible to every role, unlike the query text and backend_type.
  const { rows: sessions } = await client.query<OpenSession>(
    `select pid, coalesce(usename::text, usesysid::text) as role,
       coalesce((select rolsuper from pg_roles where oid = usesysid), false) as superuser
     ${applicationSessions} order by pid`,
    [database],
  );
  const { rows: self } = await client.query<FenceFacts["self"]>(
    `select current_user::text as role, rolsuper as superuser,
       pg_has_role(current_user, 'pg_signal_backend', 'member') as "signalBackend"
     from pg_roles where rolname = current_user`,
  );
  return {
    database,
    acceptsConnections: db.datallowconn,
    sessions,
    record: await readEpochRecord(client, database),
    self: self[0] ?? { role: "?", superuser: false, signalBackend: false },
  };
}

/** Fenced at `epoch`, or which parts are missing and what would fix each. */
export function judgeFence(facts: FenceFacts, epoch: number): FenceState {
  const { database, record } = facts;
  const missing: string[] = [];
  if (facts.acceptsConnections) {
    missing.push(
      `${database} still accepts connections (ALTER DATABASE ... ALLOW_CONNECTIONS false has not run, or someone reopened it)`,
    );
  }
  if (facts.sessions.length > 0) missing.push(describeSessions(facts));
  if (!record) {
    missing.push(`no fence of ${database} is recorded in public.meridian_epoch of database postgres`);
  } else if (record.action !== "fenced") {
    missing.push(
      `the epoch record says ${record.action} at epoch ${record.epoch}, not fenced: this server is a promoted primary`,
    );
  } else if (record.epoch < epoch) {
    missing.push(
      `the fence is recorded at epoch ${record.epoch}, older than epoch ${epoch}: fence again with epoch ${epoch}`,
    );
  }
  if (missing.length > 0)
    return { fenced: false, detail: `not fenced at epoch ${epoch}: ${missing.join("; ")}` };
  return {
    fenced: true,
    detail: `${database} refuses connections, no session of it is left, and the fence is recorded at epoch ${record?.epoch}`,
  };
}

function describeSessions({ database, sessions, self }: FenceFacts): string {
  const n = sessions.length;
  const listed = sessions
    .slice(0, 10)
    .map((s) => `${s.pid} as ${s.role}${s.superuser ? " (superuser)" : ""}`)
    .join(", ");
  const more = n > 10 ? `, and ${n - 10} more` : "";
  const open = `${n} session${n === 1 ? "" : "s"} of ${database} still open (pids ${listed}${more})`;
  // Why pg_terminate_backend could not end them, as far as the privileges tell.
  if (!self.superuser && sessions.some((s) => s.superuser)) {
    return `${open}: Meridian's user ${self.role} is no superuser and cannot end a superuser's session; the application must not connect as a superuser (docs/postgresql.md)`;
  }
  if (!self.superuser && !self.signalBackend) {
    return `${open}: Meridian's user ${self.role} may not end them; GRANT pg_signal_backend TO ${self.role}, then fence again`;
  }
  return `${open}: pg_terminate_backend has not ended them (a fence interrupted before it finished, or sessions still exiting); fence again`;
}
