// The lag guard re-checked at Promoting against the fenced primary's final WAL position: the
// failover was decided while the replica was caught up, then (with the operator killed right after
// entering Fencing, at a crash point) the replica stops replaying while the primary takes more than
// the guard. The restarted operator fences the primary, learns its final position, and must refuse
// to promote a replica that would lose more than maxLagBytes, and reopen the primary it fenced.
import { describe, expect, it } from "vitest";
import { startOperatorCrashingAt } from "../harness/crash-process.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { promotionFinished } from "../harness/failover-setup.ts";
import { getApp } from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { query } from "../harness/postgres.ts";
import { scaleDeployment } from "../harness/workloads.ts";

const maxLagBytes = 64 * 1024;
const { hub, ns, get } = useFailoverApp("lagpromote", {
  operator: false,
  policy: { promotion: { maxLagBytes, timeoutSeconds: 120 } },
});
const args = () => ["--namespace", ns(), "--probe-interval-seconds", "1"];
const running: OperatorProcess[] = [];

describe("the lag guard at Promoting", () => {
  it("a replica that fell behind the fenced primary's final position by more than the guard is not promoted", async () => {
    const first = await startOperator(hub, args());
    running.push(first);
    await pollUntil("FailoverReady", 30_000, async () => {
      const app = await getApp(hub, ns(), "checkout");
      return app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True";
    });
    await first.stop("SIGKILL");
    const crashing = await startOperatorCrashingAt(hub, args(), "promotion.entered-Fencing");
    running.push(crashing);
    await scaleDeployment(hub, ns(), "checkout", 0);
    await crashing.crashed(60_000);
    // While the operator is down: the replica stops replaying and the primary takes 1 MiB.
    const { primary, replica } = get().bed.pg;
    await query(replica.meridianUri, "select pg_wal_replay_pause()");
    await query(primary.appUri, "create table filler (id serial primary key, pad text)");
    await query(
      primary.appUri,
      "insert into filler (pad) select repeat('x', 1024) from generate_series(1, 1024)",
    );
    running.push(await startOperator(hub, args()));
    const done = await promotionFinished(hub, ns(), "checkout", 90_000);
    expect(done.status?.phase).toBe("Failed");
    const failed = done.status?.conditions?.find((c) => c.type === "Ready");
    expect(failed?.message).toMatch(
      /above maxLagBytes 65536 \(against us-east's final position [0-9A-F]+\/[0-9A-F]+\); nothing was promoted\..*; us-east was reopened at epoch 1/,
    );
    expect(done.status?.oldPrimaryLsn).toBeDefined();
    // Nothing was promoted: the replica is still in recovery, and no round found two writable databases.
    const [state] = await query<{ recovering: boolean }>(
      replica.meridianUri,
      "select pg_is_in_recovery() as recovering",
    );
    expect(state?.recovering).toBe(true);
    expect(get().checker.splitBrainRounds()).toEqual([]);
    const app = await getApp(hub, ns(), "checkout");
    expect(app.status?.currentPrimary).toBe("us-east");
    expect(app.status?.handover).toBeUndefined();
    // The failed attempt gave the app its primary back: us-east takes the app's writes again.
    const before = get().checker.writableRounds("us-east");
    await pollUntil(
      "us-east takes writes again",
      10_000,
      () => get().checker.writableRounds("us-east") > before,
    );
    expect(get().checker.splitBrainRounds()).toEqual([]);
    for (const op of running) await op.stop("SIGKILL");
  });
});
