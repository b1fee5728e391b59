// The continuous check of DESIGN invariant 1: at most one writable primary at every instant.
import { setTimeout as delay } from "node:timers/promises";
import { AppSession, query } from "./postgres.ts";

export interface ProbedDatabase {
  region: string;
  appUri: string;
}

/** One round of probes: which databases took a committed write from the app role. */
export interface ProbeRound {
  startedAt: number;
  endedAt: number;
  writable: string[];
}

const table = "meridian_test_probe";
/** A frozen or fenced database must not hold up the rounds for longer than this. */
const probeTimeoutMs = 500;

/** Creates the probe table as the app role on the primary; it replicates to the replica. */
export async function createProbeTable(appUri: string): Promise<void> {
  await query(
    appUri,
    `create table if not exists ${table} (region text primary key, at timestamptz not null)`,
  );
}

/**
 * Every `intervalMs`, tries a committed write as the application role on every database at once. A
 * round in which two databases took it is an instant with two primaries. Writable means what the
 * app sees: it could connect (the fence refuses that) and commit (a replica refuses that).
 */
export class SplitBrainChecker {
  readonly rounds: ProbeRound[] = [];
  readonly #sessions: { region: string; session: AppSession }[];
  readonly #intervalMs: number;
  #stopped = false;
  readonly #loop: Promise<void>;

  constructor(databases: ProbedDatabase[], intervalMs = 20) {
    this.#sessions = databases.map((d) => ({
      region: d.region,
      session: new AppSession(d.appUri, probeTimeoutMs),
    }));
    this.#intervalMs = intervalMs;
    this.#loop = this.#run();
  }

  /** Rounds in which more than one database was writable: must stay empty. */
  splitBrainRounds(): ProbeRound[] {
    return this.rounds.filter((r) => r.writable.length > 1);
  }

  /** How many rounds found `region` writable: proves the checker saw each primary at all. */
  writableRounds(region: string): number {
    return this.rounds.filter((r) => r.writable.includes(region)).length;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    for (const s of this.#sessions) s.session.close();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const startedAt = Date.now();
      const results = await Promise.all(
        this.#sessions.map(({ region, session }) =>
          session
            .query(
              `insert into ${table} (region, at) values ($1, clock_timestamp())
               on conflict (region) do update set at = excluded.at`,
              [region],
            )
            .then(
              () => region,
              () => undefined,
            ),
        ),
      );
      const endedAt = Date.now();
      this.rounds.push({ startedAt, endedAt, writable: results.filter((r) => r !== undefined) });
      await delay(Math.max(0, this.#intervalMs - (endedAt - startedAt))); // the probing rate
    }
  }
}
