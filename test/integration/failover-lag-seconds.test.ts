// promotion.maxLagSeconds at Promoting: the replica stops replaying (its bytes behind stay far
// below maxLagBytes), the primary fails; by the time the failover has fenced it, the replica's last
// replayed transaction is older than maxLagSeconds, so nothing is promoted and the fenced primary
// is reopened. The age is read on the replica's own clock (pg_last_xact_replay_timestamp).
import { describe, expect, it } from "vitest";
import { PostgresPromoter } from "../../src/promotion/postgresql.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { promotionFinished } from "../harness/failover-setup.ts";
import { getApp } from "../harness/meridian.ts";
import { query } from "../harness/postgres.ts";
import { scaleDeployment } from "../harness/workloads.ts";

const maxLagSeconds = 2;
const { hub, ns, get, failoverReady } = useFailoverApp("lagseconds", {
  policy: { promotion: { maxLagBytes: 16 * 1024 * 1024, maxLagSeconds, timeoutSeconds: 120 } },
});

describe("the maxLagSeconds guard", () => {
  it("a replica whose last replayed transaction is too old is not promoted, though few bytes behind", async () => {
    await failoverReady();
    const { primary, replica } = get().bed.pg;
    const promoter = new PostgresPromoter();
    expect((await promoter.state(replica.endpoint)).replayAgeSeconds).toBeLessThan(maxLagSeconds);
    expect((await promoter.state(primary.endpoint)).replayAgeSeconds).toBeUndefined();
    await query(replica.meridianUri, "select pg_wal_replay_pause()");
    // The split-brain checker keeps writing to the primary, so the replica falls behind by bytes
    // (a few kB) while its last replayed transaction ages.
    await scaleDeployment(hub, ns(), "checkout", 0);
    const done = await promotionFinished(hub, ns(), "checkout", 90_000);
    expect(done.status?.phase).toBe("Failed");
    const ready = done.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready?.message).toMatch(
      new RegExp(
        `bytes behind with its last replayed transaction \\d+ s old, above maxLagSeconds ${maxLagSeconds}.*nothing was promoted.*us-east was reopened at epoch 1`,
      ),
    );
    const [state] = await query<{ recovering: boolean }>(
      replica.meridianUri,
      "select pg_is_in_recovery() as recovering",
    );
    expect(state?.recovering).toBe(true);
    expect((await getApp(hub, ns(), "checkout")).status?.currentPrimary).toBe("us-east");
    expect(get().checker.splitBrainRounds()).toEqual([]);
    await query(replica.meridianUri, "select pg_wal_replay_resume()");
  });
});
