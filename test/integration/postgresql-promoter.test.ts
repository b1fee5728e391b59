import { inspect } from "node:util";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lsnDiff } from "../../src/promotion/lsn.ts";
import {
  DatabaseAccessDenied,
  DatabaseIsReplica,
  DatabaseNotFound,
  DatabaseUnreachable,
  DatabaseUriInvalid,
  EpochTooOld,
  FencedPrimaryNotPromotable,
  type PostgresPromoterError,
} from "../../src/promotion/postgresql/errors.ts";
import { PostgresPromoter } from "../../src/promotion/postgresql.ts";
import type { DatabaseEndpoint } from "../../src/promotion/promoter.ts";
import { freePort } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { type PostgresPair, query, startPostgresPair } from "../harness/postgres.ts";
import { createProbeTable, SplitBrainChecker } from "../harness/split-brain.ts";

// The tests run in order on one pair: the replica is promoted half-way, the old primary stays fenced.
const promoter = new PostgresPromoter({ connectTimeoutMs: 1000, statementTimeoutMs: 5000 });
let pair: PostgresPair;
let checker: SplitBrainChecker;

beforeAll(async () => {
  pair = await startPostgresPair();
  await createProbeTable(pair.primary.appUri);
  checker = new SplitBrainChecker([pair.primary, pair.replica]);
});

afterAll(async () => {
  await checker?.stop();
  await pair?.teardown();
});

/** The error a call rejected with (the test fails if it resolved). */
async function rejection(call: Promise<unknown>): Promise<PostgresPromoterError> {
  return call.then(
    () => expect.fail("the call succeeded"),
    (err: PostgresPromoterError) => err,
  );
}

/** A committed write as the application role. */
const appWrite = (uri: string) =>
  query(
    uri,
    "insert into meridian_test_probe (region, at) values ('test', now()) on conflict (region) do update set at = now()",
  );

describe("postgresql promoter against a real primary and streaming replica", () => {
  it("reports the primary, the streaming replica, and the replica's lag as pg_wal_lsn_diff and lsnDiff compute it", async () => {
    const { primary, replica } = pair;
    expect(await promoter.state(primary.endpoint)).toMatchObject({ inRecovery: false, streaming: false });
    expect(await promoter.state(replica.endpoint)).toMatchObject({ inRecovery: true, streaming: true });

    // With replay paused the replica receives WAL but applies none: it falls behind by a known write.
    await query(replica.meridianUri, "select pg_wal_replay_pause()");
    let ahead: string;
    try {
      await query(
        primary.appUri,
        "create table lag_test as select g, repeat('x', 100) as pad from generate_series(1, 10000) g",
      );
      ahead = (await promoter.state(primary.endpoint)).lsn;
      const behind = (await promoter.state(replica.endpoint)).lsn;
      const lag = await promoter.lagBytes(replica.endpoint, ahead, behind);
      expect(lag).toBeGreaterThan(1_000_000); // 10,000 rows of 100 bytes
      expect(lag).toBe(lsnDiff(ahead, behind));
      expect(await promoter.lagBytes(replica.endpoint, behind, ahead)).toBe(-lag);
    } finally {
      await query(replica.meridianUri, "select pg_wal_replay_resume()");
    }
    // Caught up: the replica has replayed exactly what the idle primary wrote.
    await pollUntil("replica lag 0", 10_000, async () => {
      const [p, r] = [await promoter.state(primary.endpoint), await promoter.state(replica.endpoint)];
      return lsnDiff(p.lsn, r.lsn) === 0 && (await promoter.lagBytes(replica.endpoint, p.lsn, r.lsn)) === 0;
    });
    expect(lsnDiff((await promoter.state(replica.endpoint)).lsn, ahead)).toBeGreaterThanOrEqual(0);
  });

  it("refuses to fence a replica, which takes no writes and whose catalog follows its primary", async () => {
    const err = await rejection(promoter.fence(pair.replica.endpoint, 1));
    expect(err).toBeInstanceOf(DatabaseIsReplica);
    expect(err.message).toMatch(/region eu-west .* is a replica.*fence the primary instead/);
    expect((await promoter.fenceState(pair.replica.endpoint, 0)).fenced).toBe(false);
  });

  it("fences for real: the app's open session is terminated, it cannot connect again, and the fence replicates", async () => {
    const { primary, replica } = pair;
    const open = new Client({ connectionString: primary.appUri });
    const sessionErrors: { code?: string }[] = [];
    open.on("error", (err) => sessionErrors.push(err as { code?: string }));
    await open.connect();
    await open.query("select 1");
    expect((await promoter.fenceState(primary.endpoint, 0)).fenced).toBe(false);

    await promoter.fence(primary.endpoint, 1);

    // The server ended the idle session itself (57P01 admin_shutdown): no write can come from it.
    await pollUntil("open session terminated", 5000, () => sessionErrors.length > 0);
    expect(sessionErrors[0]?.code).toBe("57P01");
    await expect(appWrite(primary.appUri)).rejects.toMatchObject({
      code: "55000",
      message: 'database "appdb" is not currently accepting connections',
    });
    expect((await promoter.fenceState(primary.endpoint, 0)).fenced).toBe(true);
    // The catalog change is WAL: the replica refuses connections to appdb too, until it is promoted.
    await pollUntil(
      "fence replayed on the replica",
      5000,
      async () => (await promoter.fenceState(replica.endpoint, 0)).fenced,
    );
  });

  it("fences again harmlessly, and refuses a fence from an older epoch", async () => {
    await promoter.fence(pair.primary.endpoint, 1);
    const err = await rejection(promoter.fence(pair.primary.endpoint, 0));
    expect(err).toBeInstanceOf(EpochTooOld);
    expect(err).toMatchObject({ reason: "EpochTooOld", recorded: 1, given: 0 });
    expect(err.message).toMatch(/records epoch 1, newer than this caller's epoch 0/);
    expect((await promoter.fenceState(pair.primary.endpoint, 0)).fenced).toBe(true);
  });

  it("promotes the replica: it takes the app's writes, the old primary refuses them, never both at once", async () => {
    const { primary, replica } = pair;
    const started = performance.now();
    await promoter.promote(replica.endpoint, 1, 30);
    console.log(
      `[postgresql] promote (pg_promote, verify, reopen) took ${Math.round(performance.now() - started)} ms`,
    );

    expect(await promoter.state(replica.endpoint)).toMatchObject({ inRecovery: false, streaming: false });
    expect((await promoter.fenceState(replica.endpoint, 0)).fenced).toBe(false);
    await appWrite(replica.appUri);
    await expect(appWrite(primary.appUri)).rejects.toMatchObject({ code: "55000" });

    await pollUntil("checker sees the new primary", 5000, () => checker.writableRounds(replica.region) >= 5);
    await checker.stop();
    expect(checker.splitBrainRounds()).toEqual([]);
    expect(checker.writableRounds(primary.region)).toBeGreaterThan(0); // it did see the old primary take writes
    const lastOld = checker.rounds.findLastIndex((r) => r.writable.includes(primary.region));
    const firstNew = checker.rounds.findIndex((r) => r.writable.includes(replica.region));
    expect(lastOld).toBeLessThan(firstNew);
  });

  it("promotes again harmlessly, and refuses a promotion from an older epoch", async () => {
    const { replica } = pair;
    await promoter.promote(replica.endpoint, 1, 30);
    expect((await promoter.fenceState(replica.endpoint, 0)).fenced).toBe(false);
    await promoter.promote(replica.endpoint, 2, 30); // a later failover's epoch is recorded
    const err = await rejection(promoter.promote(replica.endpoint, 1, 30));
    expect(err).toBeInstanceOf(EpochTooOld);
    expect(err).toMatchObject({ recorded: 2, given: 1 });
    const fenceErr = await rejection(promoter.fence(replica.endpoint, 1));
    expect(fenceErr).toBeInstanceOf(EpochTooOld);
    expect((await promoter.fenceState(replica.endpoint, 0)).fenced).toBe(false);
  });

  it("never reopens the old primary it fenced, whatever the epoch", async () => {
    const err = await rejection(promoter.promote(pair.primary.endpoint, 5, 30));
    expect(err).toBeInstanceOf(FencedPrimaryNotPromotable);
    expect(err.message).toMatch(/fenced at epoch 1 .*pg_basebackup or pg_rewind.*ALLOW_CONNECTIONS true/);
    expect((await promoter.fenceState(pair.primary.endpoint, 0)).fenced).toBe(true);
  });

  it("keeps the fence across a restart of the old primary, and reports it unreachable while it is down", async () => {
    const { primary } = pair;
    await pair.stop(primary);
    try {
      const err = await rejection(promoter.state(primary.endpoint));
      expect(err).toBeInstanceOf(DatabaseUnreachable);
      expect(err.message).toContain(
        `region us-east database postgres://meridian:***@127.0.0.1:${primary.port}/appdb`,
      );
    } finally {
      await pair.start(primary);
    }
    expect((await promoter.fenceState(primary.endpoint, 0)).fenced).toBe(true);
    await expect(appWrite(primary.appUri)).rejects.toMatchObject({ code: "55000" });
  });

  it("gives up on a frozen server after the connect timeout", async () => {
    const { primary } = pair;
    pair.freeze(primary);
    try {
      const started = performance.now();
      const err = await rejection(promoter.fenceState(primary.endpoint, 0));
      const elapsed = performance.now() - started;
      expect(err).toBeInstanceOf(DatabaseUnreachable);
      expect(err.message).toMatch(/unreachable .* waits 1000 ms for a connection/);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(3000);
    } finally {
      pair.thaw(primary);
    }
  });

  describe("errors say what is wrong, never the password", () => {
    const password = "Do-Not-Log-7f3a9";
    const endpoint = (uri: string): DatabaseEndpoint => ({ region: "ap-south", uri });
    const cases: [
      string,
      () => Promise<DatabaseEndpoint>,
      new (m: string) => PostgresPromoterError,
      RegExp,
    ][] = [
      [
        "nothing listening on the port",
        async () => endpoint(`postgres://meridian:${password}@127.0.0.1:${await freePort()}/appdb`),
        DatabaseUnreachable,
        /unreachable \(connect ECONNREFUSED .*Check that the server runs/,
      ],
      [
        "a wrong password",
        async () => endpoint(`postgres://meridian:${password}@127.0.0.1:${pair.replica.port}/appdb`),
        DatabaseAccessDenied,
        /password authentication failed for user "meridian".*check the user and password/,
      ],
      [
        "a database that does not exist",
        async () => endpoint(pair.replica.meridianUri.replace(/\/appdb$/, "/nosuchdb")),
        DatabaseNotFound,
        /no database nosuchdb/,
      ],
      [
        "a uri that is no postgres URL",
        async () => endpoint(`mysql://meridian:${password}@127.0.0.1:3306/appdb`),
        DatabaseUriInvalid,
        /scheme must be postgres:\/\//,
      ],
    ];

    it.each(cases)("%s", async (_, makeEndpoint, type, message) => {
      const target = await makeEndpoint();
      const secret = new URL(target.uri).password;
      const err = await rejection(promoter.fenceState(target, 0));
      expect(err).toBeInstanceOf(type);
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/^(region ap-south|the database uri)/);
      for (const rendering of [err.message, String(err), inspect(err), JSON.stringify(err), err.stack]) {
        expect(rendering).not.toContain(secret);
      }
    });
  });
});
