// A real PostgreSQL 15 primary and a streaming replica (pg_basebackup -R), each a region's database,
// on free loopback ports in a temporary folder. Vitest-free, so the demo and benches can use it.
// PostgreSQL refuses to run as root, so as root every server program runs as user postgres.
// A folder records its owner's pid: a later run removes what a killed run left behind.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client, type ClientConfig } from "pg";
import type { DatabaseEndpoint } from "../../src/promotion/promoter.ts";
import { freePort } from "./operator-process.ts";
import { pollUntil } from "./poll.ts";

const run = promisify(execFile);
const binDir = process.env.MERIDIAN_PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";
const folderPrefix = "meridian-pg-";
const ownerFile = "owner.pid";
const asRoot = process.getuid?.() === 0;

/** The application database and its role, as an app in the region would use them. */
export const appDatabase = "appdb";

export interface PgServer {
  region: string;
  port: number;
  dataDir: string;
  /** Meridian's superuser, connecting to the application database (what the Secret's `uri` holds). */
  meridianUri: string;
  /** The application's own role (no superuser, does not own the database). */
  appUri: string;
  /** What the promoter takes. */
  endpoint: DatabaseEndpoint;
}

export interface PostgresPair {
  dir: string;
  primary: PgServer;
  replica: PgServer;
  /** A region's database outage: the server stops at once, as in a crash (`pg_ctl -m immediate`). */
  stop(server: PgServer): Promise<void>;
  /** Ends the outage; waits until the server accepts connections. */
  start(server: PgServer): Promise<void>;
  /** Freezes the server (SIGSTOP to the postmaster): it accepts TCP connections but never answers them. */
  freeze(server: PgServer): void;
  thaw(server: PgServer): void;
  /**
   * Returns a fenced former primary to standby duty: its data is replaced by a fresh base backup of
   * `source` (the new primary) and it streams from it, on the same port (its Secret stays valid).
   */
  rebuildAsReplica(server: PgServer, source: PgServer): Promise<void>;
  /** Stops both servers and removes the folder. Safe to call twice. */
  teardown(): Promise<void>;
}

const live = new Set<string>();

/** Starts the pair: roles, the app database and a replica streaming from the primary. */
export async function startPostgresPair(
  regions: { primary: string; replica: string } = { primary: "us-east", replica: "eu-west" },
): Promise<PostgresPair> {
  removeAbandonedFolders();
  const dir = mkdtempSync(join(tmpdir(), folderPrefix));
  writeFileSync(join(dir, ownerFile), String(process.pid));
  live.add(dir);
  registerSignalTeardown();
  const teardown = async () => {
    live.delete(dir);
    removeFolder(dir);
  };
  try {
    if (asRoot) await run("chown", ["postgres:postgres", dir]);
    const passwords = { meridian: secret(), app: secret() };
    const primaryDir = join(dir, regions.primary);
    await asPostgres("initdb", [
      "-D",
      primaryDir,
      "-U",
      "postgres",
      "--auth-local=trust", // the harness itself, over the folder's unix socket
      "--auth-host=scram-sha-256", // Meridian and the app, over TCP with their passwords
      "--no-sync",
    ]);
    appendFileSync(join(primaryDir, "postgresql.conf"), serverSettings(dir));
    const primaryPort = await startOnFreePort(primaryDir);
    await createRolesAndDatabase(dir, primaryPort, passwords);

    const replicaDir = join(dir, regions.replica);
    // Over the unix socket: replication needs no password there. -R writes standby.signal and primary_conninfo.
    await asPostgres("pg_basebackup", [
      ...["-h", dir, "-p", String(primaryPort), "-U", "postgres"],
      ...["-D", replicaDir, "-R", "-X", "stream", "-c", "fast"],
    ]);
    const replicaPort = await startOnFreePort(replicaDir);

    const server = (region: string, dataDir: string, port: number): PgServer => {
      const uri = (user: "meridian" | "app") =>
        `postgres://${user}:${passwords[user]}@127.0.0.1:${port}/${appDatabase}`;
      return {
        region,
        port,
        dataDir,
        meridianUri: uri("meridian"),
        appUri: uri("app"),
        endpoint: { region, uri: uri("meridian") },
      };
    };
    const primary = server(regions.primary, primaryDir, primaryPort);
    const replica = server(regions.replica, replicaDir, replicaPort);
    await pollUntil("replica streaming", 30_000, async () => {
      const rows = await query<{ status: string }>(
        replica.meridianUri,
        "select status from pg_stat_wal_receiver",
      );
      return rows[0]?.status === "streaming";
    });
    return {
      dir,
      primary,
      replica,
      stop: async (s) => {
        await asPostgres("pg_ctl", ["-D", s.dataDir, "-m", "immediate", "-w", "stop"]);
      },
      start: async (s) => {
        await asPostgres("pg_ctl", ["-D", s.dataDir, "-l", logFile(s.dataDir), "-w", "start"]);
      },
      freeze: (s) => signalPostmaster(s.dataDir, "SIGSTOP"),
      thaw: (s) => signalPostmaster(s.dataDir, "SIGCONT"),
      rebuildAsReplica: async (s, source) => {
        if (postmasterPid(s.dataDir) !== undefined) {
          await asPostgres("pg_ctl", ["-D", s.dataDir, "-m", "fast", "-w", "stop"]);
        }
        rmSync(s.dataDir, { recursive: true, force: true });
        await asPostgres("pg_basebackup", [
          ...["-h", dir, "-p", String(source.port), "-U", "postgres"],
          ...["-D", s.dataDir, "-R", "-X", "stream", "-c", "fast"],
        ]);
        appendFileSync(join(s.dataDir, "postgresql.conf"), `port = ${s.port}\n`); // the last setting wins
        await asPostgres("pg_ctl", ["-D", s.dataDir, "-l", logFile(s.dataDir), "-w", "start"]);
        await pollUntil(`${s.region} streaming from ${source.region}`, 30_000, async () => {
          const rows = await query<{ status: string }>(
            s.meridianUri,
            "select status from pg_stat_wal_receiver",
          );
          return rows[0]?.status === "streaming";
        });
      },
      teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** Runs one statement on a fresh connection (a uri, or pg's settings) and returns its rows. */
export async function query<R extends object>(
  to: string | ClientConfig,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const settings = typeof to === "string" ? { connectionString: to } : to;
  const client = new Client({ ...settings, connectionTimeoutMillis: 5000, query_timeout: 10_000 });
  client.on("error", () => undefined); // a server that goes away surfaces through the query
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function serverSettings(dir: string): string {
  return [
    "",
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    // Tests never survive an OS crash; a server crash (stop -m immediate) still loses nothing.
    "fsync = off",
    // Enough WAL kept for a replica to catch up after a test's outage, without replication slots.
    "wal_keep_size = '128MB'",
    // A replica reconnects to a restarted primary within a fraction of a second, not 5 s.
    "wal_retrieve_retry_interval = '200ms'",
    "",
  ].join("\n");
}

async function createRolesAndDatabase(
  dir: string,
  port: number,
  passwords: { meridian: string; app: string },
): Promise<void> {
  // Over the folder's unix socket (pg reads a host that starts with "/" as one), where postgres needs no password.
  const admin = (database: string): ClientConfig => ({ host: dir, port, user: "postgres", database });
  await query(admin("postgres"), `create role meridian login superuser password '${passwords.meridian}'`);
  await query(admin("postgres"), `create role app login password '${passwords.app}'`);
  await query(admin("postgres"), `create database ${appDatabase}`);
  // The app writes its own tables but does not own the database: an owner could lift the fence.
  await query(admin(appDatabase), "grant usage, create on schema public to app");
}

/** Starts a server, on another free port when the chosen one was taken in the meantime. */
async function startOnFreePort(dataDir: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    appendFileSync(join(dataDir, "postgresql.conf"), `port = ${port}\n`); // the last setting wins
    try {
      await asPostgres("pg_ctl", ["-D", dataDir, "-l", logFile(dataDir), "-w", "start"]);
      return port;
    } catch (err) {
      const log = existsSync(logFile(dataDir)) ? readFileSync(logFile(dataDir), "utf8") : "";
      if (attempt >= 3 || !/could not bind/i.test(log)) throw new Error(`${String(err)}\n${log}`);
    }
  }
}

const logFile = (dataDir: string) => `${dataDir}.log`;

/** The command line that runs a PostgreSQL program as user postgres. */
function asPostgresCommand(program: string, args: string[]): [string, string[]] {
  const path = join(binDir, program);
  return asRoot ? ["runuser", ["-u", "postgres", "--", path, ...args]] : [path, args];
}

async function asPostgres(program: string, args: string[]): Promise<void> {
  try {
    await run(...asPostgresCommand(program, args), { cwd: "/" });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${program} ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
  }
}

function signalPostmaster(dataDir: string, signal: NodeJS.Signals): void {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) throw new Error(`no postmaster.pid in ${dataDir}: the server is not running`);
  process.kill(pid, signal);
}

function postmasterPid(dataDir: string): number | undefined {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  return Number(readFileSync(pidFile, "utf8").split("\n")[0]);
}

/**
 * Stops every server under `dir` and removes it. Synchronous, so it also runs in a signal
 * handler before the process exits.
 */
function removeFolder(dir: string): void {
  for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
    const dataDir = join(dir, entry.name);
    const pid = entry.isDirectory() ? postmasterPid(dataDir) : undefined;
    if (pid === undefined) continue;
    try {
      process.kill(pid, "SIGCONT"); // a frozen postmaster would never act on the stop
      const [file, args] = asPostgresCommand("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      execFileSync(file, args, { cwd: "/", stdio: "ignore" });
    } catch {
      // already stopped
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Folders whose owning process is gone: a run killed before its teardown. */
function removeAbandonedFolders(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(folderPrefix)) continue;
    const dir = join(tmpdir(), name);
    const owner = Number(existsSync(join(dir, ownerFile)) ? readFileSync(join(dir, ownerFile), "utf8") : "");
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) continue;
    removeFolder(dir);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

let signalsRegistered = false;

/** Ctrl-C or a SIGTERM during a test still removes every pair, then the process dies of the signal. */
function registerSignalTeardown(): void {
  if (signalsRegistered) return;
  signalsRegistered = true;
  const onSignal = (signal: NodeJS.Signals) => {
    for (const dir of live) removeFolder(dir);
    live.clear();
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}

const secret = () => randomBytes(12).toString("hex");

/**
 * A role for Meridian narrower than the superuser, with the fence's privileges as docs/postgresql.md
 * lists them: owner of the application database, CREATE on schema public of `postgres`, and
 * pg_signal_backend only when `signalBackend` (its absence is the realistic mistake). Made on the
 * primary, so it replicates; returns the endpoints the Secret would hold for each server.
 */
export async function createNarrowMeridianRole(
  pair: PostgresPair,
  name: string,
  options: { signalBackend: boolean },
): Promise<{ primary: DatabaseEndpoint; replica: DatabaseEndpoint; password: string }> {
  const password = secret();
  const admin = (database: string) => pair.primary.meridianUri.replace(/\/[^/]*$/, `/${database}`);
  await query(admin("postgres"), `create role ${name} login password '${password}'`);
  await query(admin("postgres"), `alter database ${appDatabase} owner to ${name}`);
  await query(admin("postgres"), `grant create on schema public to ${name}`);
  if (options.signalBackend) await query(admin("postgres"), `grant pg_signal_backend to ${name}`);
  const endpoint = (s: PgServer): DatabaseEndpoint => ({
    region: s.region,
    uri: `postgres://${name}:${password}@127.0.0.1:${s.port}/${appDatabase}`,
  });
  return { primary: endpoint(pair.primary), replica: endpoint(pair.replica), password };
}

/**
 * One connection held as an application holds it: opened on first use, dropped after any failure
 * and opened again on the next use, as a pool would. Short timeouts, so a fenced or frozen server
 * costs one attempt at most `timeoutMs`.
 */
export class AppSession {
  readonly #uri: string;
  readonly #timeoutMs: number;
  #client: Client | undefined;

  constructor(uri: string, timeoutMs = 1000) {
    this.#uri = uri;
    this.#timeoutMs = timeoutMs;
  }

  async query(text: string, values: unknown[] = []): Promise<void> {
    try {
      if (!this.#client) {
        this.#client = new Client({
          connectionString: this.#uri,
          connectionTimeoutMillis: this.#timeoutMs,
          query_timeout: this.#timeoutMs,
        });
        this.#client.on("error", () => undefined); // surfaces through the next query
        await this.#client.connect();
      }
      await this.#client.query(text, values);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Drops the connection without a goodbye, which a frozen server would never answer. */
  close(): void {
    this.#client?.connection.stream.destroy();
    this.#client = undefined;
  }
}
