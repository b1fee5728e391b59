import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lsnDiff } from "../../src/promotion/lsn.ts";
import { PostgresPromoter } from "../../src/promotion/postgresql.ts";
import { createWritesTable, lostWrites, SequenceWriter } from "../harness/pg-writer.ts";
import { pollUntil } from "../harness/poll.ts";
import { type PostgresPair, startPostgresPair } from "../harness/postgres.ts";
import { createProbeTable, SplitBrainChecker } from "../harness/split-brain.ts";

const promoter = new PostgresPromoter({ connectTimeoutMs: 1000, statementTimeoutMs: 5000 });
let pair: PostgresPair;

beforeAll(async () => {
  pair = await startPostgresPair();
  await createWritesTable(pair.primary.appUri);
  await createProbeTable(pair.primary.appUri);
});

afterAll(async () => {
  await pair?.teardown();
});

describe("postgresql switchover under load", () => {
  it("loses no acknowledged write and never has two writable primaries (fence, catch up, promote)", async () => {
    const { primary, replica } = pair;
    const checker = new SplitBrainChecker([primary, replica]);
    const writer = new SequenceWriter(primary);
    const ms = (from: number, to: number) => Math.round(to - from);
    let timings: Record<string, number> = {};
    try {
      await pollUntil(
        "writes on the old primary",
        10_000,
        () => writer.ackedIn(primary.region).length >= 200,
      );

      const fenceStarted = performance.now();
      await promoter.fence(primary.endpoint, 1);
      const fenced = performance.now();
      // Nothing can write there any more, so this is the last position the replica must reach.
      const finalLsn = (await promoter.state(primary.endpoint)).lsn;
      await pollUntil(
        "replica replayed the old primary's last write",
        10_000,
        async () => lsnDiff((await promoter.state(replica.endpoint)).lsn, finalLsn) >= 0,
        10,
      );
      const caughtUp = performance.now();
      await promoter.promote(replica.endpoint, 1, 30);
      const promoted = performance.now();
      writer.writeTo(replica); // what DNS does for the clients
      timings = {
        fence: ms(fenceStarted, fenced),
        catchUp: ms(fenced, caughtUp),
        promote: ms(caughtUp, promoted),
      };

      await pollUntil(
        "writes on the new primary",
        10_000,
        () => writer.ackedIn(replica.region).length >= 200,
      );
    } finally {
      await writer.stop();
      await checker.stop();
    }

    const oldAcks = writer.ackedIn(primary.region);
    const newAcks = writer.ackedIn(replica.region);
    expect(await lostWrites(writer.acknowledged, replica.appUri)).toEqual([]);
    expect(writer.failures).toBeGreaterThan(0); // the writer did hit the fence, as an app would

    expect(checker.splitBrainRounds()).toEqual([]);
    const lastOld = checker.rounds.findLastIndex((r) => r.writable.includes(primary.region));
    const firstNew = checker.rounds.findIndex((r) => r.writable.includes(replica.region));
    expect(lastOld).toBeGreaterThanOrEqual(0);
    expect(firstNew).toBeGreaterThan(lastOld);

    const writeGap = (newAcks[0]?.at ?? Number.NaN) - (oldAcks.at(-1)?.at ?? Number.NaN);
    console.log(
      `[postgresql] switchover: fence ${timings.fence} ms, catch-up ${timings.catchUp} ms, promote ${timings.promote} ms; ` +
        `writes refused for ${writeGap} ms; ${oldAcks.length} + ${newAcks.length} acknowledged rows, 0 lost; ` +
        `${checker.rounds.length} split-brain probe rounds`,
    );
  });
});
