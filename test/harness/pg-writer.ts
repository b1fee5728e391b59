// An application writing the whole time, for the zero-data-loss checks (DESIGN invariant 4).
import { setTimeout as delay } from "node:timers/promises";
import { AppSession, query } from "./postgres.ts";

export interface WriteTarget {
  region: string;
  appUri: string;
}

/** One insert the database acknowledged: its commit returned. */
export interface Ack {
  seq: number;
  region: string;
  at: number;
}

const table = "meridian_test_writes";
/** An app's retry backoff: a refused database does not turn the writer into a busy loop. */
const retryDelayMs = 10;

/** Creates the writer's table as the app role on the primary; it replicates to the replica. */
export async function createWritesTable(appUri: string): Promise<void> {
  await query(appUri, `create table if not exists ${table} (seq bigint primary key, region text not null)`);
}

/**
 * Inserts 1, 2, 3, ... as the application role, one committed row at a time, into whichever
 * database it was last told, and records every number acknowledged. A failed insert is not retried
 * under its number: whether it committed is unknown, so it counts neither as acknowledged nor as lost.
 */
export class SequenceWriter {
  readonly acknowledged: Ack[] = [];
  failures = 0;
  #target: WriteTarget;
  #session: AppSession;
  #stopped = false;
  readonly #loop: Promise<void>;

  constructor(target: WriteTarget) {
    this.#target = target;
    this.#session = new AppSession(target.appUri);
    this.#loop = this.#run();
  }

  /** Sends the following writes to another database, as a client does once DNS names it. */
  writeTo(target: WriteTarget): void {
    this.#session.close();
    this.#target = target;
    this.#session = new AppSession(target.appUri);
  }

  ackedIn(region: string): Ack[] {
    return this.acknowledged.filter((a) => a.region === region);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    for (let seq = 1; !this.#stopped; seq++) {
      const { region } = this.#target;
      try {
        await this.#session.query(`insert into ${table} (seq, region) values ($1, $2)`, [seq, region]);
        this.acknowledged.push({ seq, region, at: Date.now() });
      } catch {
        this.failures += 1;
        await delay(retryDelayMs);
      }
    }
    this.#session.close();
  }
}

/** The acknowledged numbers the database at `uri` does not hold; zero data loss means none. */
export async function lostWrites(acknowledged: Ack[], uri: string): Promise<number[]> {
  const rows = await query<{ seq: string }>(uri, `select seq from ${table} where seq = any($1::bigint[])`, [
    acknowledged.map((a) => a.seq),
  ]);
  const present = new Set(rows.map((r) => Number(r.seq)));
  return acknowledged.map((a) => a.seq).filter((seq) => !present.has(seq));
}
