import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useFailoverApp } from "../harness/failover-context.ts";
import { endpoints, finished, hostname, promotionsOf } from "../harness/failover-setup.ts";
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
const operators: OperatorProcess[] = [];

beforeAll(async () => {
  operators.push(await startOperator(hub, operatorArgs()));
});

afterAll(async () => {
  for (const op of operators) await op.stop("SIGKILL");
});

describe("a failover survives the operator being killed in every phase", () => {
  it("SIGKILL at each phase, restart: one promotion, one epoch, the same end state", async () => {
    await pollUntil("FailoverReady", 30_000, async () => {
      const app = await getApp(hub, ns(), "checkout");
      return app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True";
    });
    await scaleDeployment(hub, ns(), "checkout", 0);
    const killedIn: string[] = [];
    const done = await pollUntil(
      "promotion finished despite the kills",
      180_000,
      async () => {
        const [p] = await promotionsOf(hub, ns(), "checkout");
        if (!p) return undefined;
        if (finished(p)) return p;
        const phase = p.status?.phase ?? "Pending";
        if (!killedIn.includes(phase)) {
          killedIn.push(phase);
          await operators.at(-1)?.stop("SIGKILL");
          operators.push(await startOperator(hub, operatorArgs()));
        }
        return undefined;
      },
      20,
    );
    console.log(`[crash] operator SIGKILLed in phases: ${killedIn.join(", ")}`);
    expect(killedIn.length).toBeGreaterThanOrEqual(2);
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
    const app = await pollUntil("app records the failover", 20_000, async () => {
      const a = await getApp(hub, ns(), "checkout");
      return a.status?.currentPrimary === "eu-west" ? a : undefined;
    });
    expect(app.status?.epoch).toBe(1);
  });
});
