// fenceState, promotionState and verifyWrite against a real primary and streaming replica: each step
// is judged part by part from the server, so a controller resuming after a crash, or after a fence
// that only half worked, sees what is missing. Every test here failed on the code before these
// checks (isFenced was datallowconn alone; "not in recovery" counted as promoted; no test write);
// the mutation named above each one makes it fail again (each was tried once).
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DatabaseAccessDenied,
  DatabaseNotWritable,
  type PostgresPromoterError,
} from "../../src/promotion/postgresql/errors.ts";
import { PostgresPromoter } from "../../src/promotion/postgresql.ts";
import { pollUntil } from "../harness/poll.ts";
import {
  createNarrowMeridianRole,
  type PostgresPair,
  query,
  startPostgresPair,
} from "../harness/postgres.ts";
import { createProbeTable } from "../harness/split-brain.ts";

const promoter = new PostgresPromoter({ connectTimeoutMs: 1000, statementTimeoutMs: 5000 });

async function rejection(call: Promise<unknown>): Promise<PostgresPromoterError> {
  return call.then(
    () => expect.fail("the call succeeded"),
    (err: PostgresPromoterError) => err,
  );
}

/** A committed write as the application role, on a new connection. */
const appWrite = (uri: string) =>
  query(
    uri,
    "insert into meridian_test_probe (region, at) values ('test', now()) on conflict (region) do update set at = now()",
  );

/** The same server's maintenance database, where a fenced application database is still managed. */
const maintenance = (uri: string) => uri.replace(/\/appdb$/, "/postgres");

/** An application session held open, as a pool holds one, with the errors the server sends it. */
async function openAppSession(
  uri: string,
): Promise<{ client: Client; pid: number; errors: { code?: string }[] }> {
  const client = new Client({ connectionString: uri });
  const errors: { code?: string }[] = [];
  client.on("error", (err) => errors.push(err as { code?: string }));
  await client.connect();
  const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
  return { client, pid: rows[0]?.pid ?? 0, errors };
}

// In order, on one pair: fence us-east at epoch 1, half-promote eu-west, finish it, then look at the
// fenced us-east as a promotion target.
describe("fenceState, promotionState and verifyWrite on a failover's steps", () => {
  let pair: PostgresPair;
  beforeAll(async () => {
    pair = await startPostgresPair();
    await createProbeTable(pair.primary.appUri);
  });
  afterAll(async () => {
    await pair?.teardown();
  });

  // Mutation tried: judgeFence without the `record.epoch < epoch` branch → epoch 2 reads fenced.
  it("is not fenced before the fence (open session named), fenced after it, and not fenced for a newer epoch", async () => {
    const { primary } = pair;
    const before = await promoter.fenceState(primary.endpoint, 1);
    expect(before.fenced).toBe(false);
    expect(before.detail).toMatch(/appdb still accepts connections.*no fence of appdb is recorded/);

    const app = await openAppSession(primary.appUri);
    const withSession = await promoter.fenceState(primary.endpoint, 1);
    expect(withSession.detail).toContain(`1 session of appdb still open (pids ${app.pid} as app)`);

    await promoter.fence(primary.endpoint, 1);
    await pollUntil("the app's session ended", 5000, () => app.errors.length > 0);
    expect(await promoter.fenceState(primary.endpoint, 1)).toEqual({
      fenced: true,
      detail: "appdb refuses connections, no session of it is left, and the fence is recorded at epoch 1",
    });
    expect((await promoter.fenceState(primary.endpoint, 0)).fenced).toBe(true);
    const newer = await promoter.fenceState(primary.endpoint, 2);
    expect(newer.fenced).toBe(false);
    expect(newer.detail).toBe(
      "not fenced at epoch 2: the fence is recorded at epoch 1, older than epoch 2: fence again with epoch 2",
    );
  });

  // Mutations tried: promotionState as `!inRecovery` (what the controller took for "writable") →
  // the half-done server reads promoted; promote() returning early when out of recovery (the old
  // "a no-op on a primary") → the second call leaves it closed and promotionState false.
  it("reads a promotion interrupted between pg_promote() and the reopen as not promoted, and promote() finishes it", async () => {
    const { replica } = pair;
    await pollUntil(
      "the fence replicated",
      10_000,
      async () => (await promoter.fenceState(replica.endpoint, 1)).fenced,
    );
    // Meridian "dies" right after pg_promote() committed: the reopen never runs.
    await query(maintenance(replica.meridianUri), "select pg_promote(true, 30)");
    expect((await promoter.state(replica.endpoint)).inRecovery).toBe(false);

    const halfDone = await promoter.promotionState(replica.endpoint, 1);
    expect(halfDone.promoted).toBe(false);
    expect(halfDone.detail).toMatch(
      /still says fenced at epoch 1 on timeline 1.*interrupted before it was recorded; appdb still refuses connections.*call promote\(\) to finish/,
    );
    const refused = await rejection(promoter.verifyWrite(replica.endpoint, 1));
    expect(refused).toBeInstanceOf(DatabaseNotWritable);
    expect(refused.message).toMatch(
      /region eu-west .*not currently accepting connections.*DNS must not point here/,
    );
    await expect(appWrite(replica.appUri)).rejects.toMatchObject({ code: "55000" });

    await promoter.promote(replica.endpoint, 1, 30);
    expect(await promoter.promotionState(replica.endpoint, 1)).toEqual({
      promoted: true,
      detail: "out of recovery, promotion recorded at epoch 1 on timeline 2, and appdb accepts connections",
    });
    expect((await promoter.promotionState(replica.endpoint, 2)).promoted).toBe(false);
    await promoter.verifyWrite(replica.endpoint, 1);
    await promoter.verifyWrite(replica.endpoint, 1); // again: one row per epoch
    const rows = await query<{ epoch: string }>(
      replica.meridianUri,
      "select epoch::text from meridian_write_check",
    );
    expect(rows).toEqual([{ epoch: "1" }]);
    await appWrite(replica.appUri);
  });

  // Mutations tried: promotionState as `!inRecovery` → the fenced primary reads promoted; as
  // `!inRecovery && datallowconn` (writable taken for promoted) → the hand-reopened one does.
  it("never reads the fenced old primary as promoted, and its test write fails", async () => {
    const { primary } = pair;
    expect((await promoter.state(primary.endpoint)).inRecovery).toBe(false);
    for (const epoch of [0, 1, 5]) {
      const s = await promoter.promotionState(primary.endpoint, epoch);
      expect(s.promoted).toBe(false);
      expect(s.detail).toMatch(/the primary Meridian fenced at epoch 1 .*must be rebuilt as a replica/);
    }
    const refused = await rejection(promoter.verifyWrite(primary.endpoint, 1));
    expect(refused).toBeInstanceOf(DatabaseNotWritable);
    expect(refused.message).toMatch(/closed to connections, because this server is fenced/);

    // Someone reopens it by hand: it takes writes again (two primaries now), yet it is still not
    // the promoted primary. Writable is not promoted; DNS goes by promotionState.
    await query(maintenance(primary.meridianUri), "alter database appdb with allow_connections true");
    await promoter.verifyWrite(primary.endpoint, 1);
    expect((await promoter.promotionState(primary.endpoint, 1)).promoted).toBe(false);
  });
});

describe("a fence whose user may not end the application's sessions", () => {
  let pair: PostgresPair;
  beforeAll(async () => {
    pair = await startPostgresPair();
    await createProbeTable(pair.primary.appUri);
  });
  afterAll(async () => {
    await pair?.teardown();
  });

  // Mutation tried: judgeFence ignoring `sessions` (datallowconn and the record, as isFenced was)
  // → fenced while the app's open session still commits.
  it("is not fenced while a session it could not end is open, names it, and is fenced once the privilege is granted", async () => {
    // The docs' narrow role, with the realistic mistake: no pg_signal_backend.
    const fencer = await createNarrowMeridianRole(pair, "fencer", { signalBackend: false });
    const app = await openAppSession(pair.primary.appUri);

    const err = await rejection(promoter.fence(fencer.primary, 1));
    expect(err).toBeInstanceOf(DatabaseAccessDenied);
    expect(err.message).toContain(
      `could not end its open sessions, which can still commit: not fenced at epoch 1: 1 session of appdb still open (pids ${app.pid} as app): Meridian's user fencer may not end them; GRANT pg_signal_backend TO fencer, then fence again`,
    );
    expect(err.message).not.toContain(fencer.password);
    // Half a fence: new connections are refused (all the old isFenced looked at)...
    await expect(appWrite(pair.primary.appUri)).rejects.toMatchObject({ code: "55000" });
    // ...but the check says what is missing, to the narrow role and to a superuser alike.
    const seen = await promoter.fenceState(fencer.primary, 1);
    expect(seen.fenced).toBe(false);
    expect(seen.detail).toBe(
      `not fenced at epoch 1: 1 session of appdb still open (pids ${app.pid} as app): Meridian's user fencer may not end them; GRANT pg_signal_backend TO fencer, then fence again`,
    );
    const asSuperuser = await promoter.fenceState(pair.primary.endpoint, 1);
    expect(asSuperuser.fenced).toBe(false);
    expect(asSuperuser.detail).toMatch(
      /1 session of appdb still open .*pg_terminate_backend has not ended them/,
    );
    expect((await promoter.fenceState(fencer.primary, 0)).fenced).toBe(false);
    // Why it matters: the old session still commits on the "fenced" primary.
    await app.client.query("insert into meridian_test_probe (region, at) values ('old-session', now())");

    await query(maintenance(pair.primary.meridianUri), "grant pg_signal_backend to fencer");
    await promoter.fence(fencer.primary, 1);
    await pollUntil("the app's session ended", 5000, () => app.errors.length > 0);
    expect(app.errors[0]?.code).toBe("57P01");
    expect(await promoter.fenceState(fencer.primary, 1)).toMatchObject({ fenced: true });
  });
});
