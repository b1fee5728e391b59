// The operator killed at every gap between two writes on the failover path, in order, during one
// failover: each restarted process runs to the next crash point (MERIDIAN_CRASH_AT, see
// src/runtime/crash-point.ts), so every gap is hit deterministically, not by timing. A timed kill
// (the previous version of this test) passed or failed depending on where it landed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOperatorCrashingAt } from "../harness/crash-process.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { endpoints, hostname, promotionFinished, promotionsOf } from "../harness/failover-setup.ts";
import { getApp } from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { query } from "../harness/postgres.ts";
import { scaleDeployment } from "../harness/workloads.ts";

const { hub, ns, get } = useFailoverApp("crash", { operator: false });
const operatorArgs = () => [
  "--namespace",
  ns(),
  "--probe-interval-seconds",
  "1",
  "--lease-duration-seconds",
  "2",
  "--renew-deadline-seconds",
  "1.5",
  "--retry-period-seconds",
  "0.3",
];

/**
 * Every crash point on the path of a failover from a reachable primary, in the order it is reached.
 * Not "promotion.after-scale-up": the outage here is the primary scaled to 0, so the size recorded
 * at the fence is 0 and the warm standby already has it; nothing is scaled up.
 */
const crashPoints = [
  "promotion.after-epoch",
  "promotion.entered-Fencing",
  "promotion.after-scale-to-zero",
  "postgresql.after-close-connections",
  "promotion.after-fence",
  "promotion.entered-Promoting",
  "postgresql.after-pg-promote",
  "promotion.after-promote",
  "promotion.entered-Rerouting",
  "promotion.after-reroute",
  "promotion.entered-Verifying",
  "promotion.after-record-primary",
];

const running: OperatorProcess[] = [];

afterAll(async () => {
  for (const op of running) await op.stop("SIGKILL");
});

describe("a failover survives the operator being killed between every two writes", () => {
  beforeAll(async () => {
    const first = await startOperator(hub, operatorArgs());
    running.push(first);
    await pollUntil("FailoverReady", 30_000, async () => {
      const app = await getApp(hub, ns(), "checkout");
      return app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True";
    });
    await first.stop("SIGKILL");
  });

  it("SIGKILL at each crash point in turn, restart: one promotion, one epoch, never two writable primaries", async () => {
    await scaleDeployment(hub, ns(), "checkout", 0);
    for (const point of crashPoints) {
      const op = await startOperatorCrashingAt(hub, operatorArgs(), point);
      running.push(op);
      await op.crashed(60_000, point).catch((err: Error) => {
        // Say what the process was doing instead of crashing where expected.
        const said = op.logs.filter((l) => l.level !== "debug" && l.level !== "trace").slice(-20);
        throw new Error(`${err.message}; its last log lines: ${JSON.stringify(said)}`);
      });
      // Invariant 1, continuously: the checker writes to both databases every few ms.
      expect(get().checker.splitBrainRounds(), `after a crash at ${point}`).toEqual([]);
    }
    running.push(await startOperator(hub, operatorArgs()));
    const done = await promotionFinished(hub, ns(), "checkout", 60_000);
    expect(done.status?.phase).toBe("Succeeded");
    // Invariant 6: exactly one promotion, one epoch, steps in order without repeats.
    expect(await promotionsOf(hub, ns(), "checkout")).toHaveLength(1);
    expect(done.status?.epoch).toBe(1);
    const names = done.status?.steps?.map((s) => s.name) ?? [];
    expect(names).toEqual(["Pending", "Fencing", "Promoting", "Rerouting", "Verifying", "Succeeded"]);
    const epochs = await query<{ epoch: string }>(
      get().bed.pg.replica.meridianUri.replace(/\/appdb$/, "/postgres"),
      "select max(epoch)::text as epoch from meridian_epoch",
    );
    expect(epochs[0]?.epoch).toBe("1");
    expect(await get().bed.bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
    expect(get().checker.splitBrainRounds()).toEqual([]);
    const app = await getApp(hub, ns(), "checkout");
    // The app named the new primary before the promotion said Succeeded, and the handover ended.
    expect(app.status?.currentPrimary).toBe("eu-west");
    expect(app.status?.epoch).toBe(1);
    expect(app.status?.handover).toBeUndefined();
  });
});
