import { EventsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { finished, promotionsOf } from "../harness/failover-setup.ts";
import { custom, getApp } from "../harness/meridian.ts";
import { pollUntil } from "../harness/poll.ts";
import { query } from "../harness/postgres.ts";
import { kubeConfigFor } from "../harness/testbed.ts";
import { scaleDeployment } from "../harness/workloads.ts";

const maxLagBytes = 4096;
const { hub, ns, get } = useFailoverApp("guard", {
  policy: { promotion: { maxLagBytes, timeoutSeconds: 60 } },
});

describe("the lag guard", () => {
  it("holds back a failover to a replica lagging beyond maxLagBytes, saying why, until allowDataLoss", async () => {
    // The replica stops replaying while the primary keeps writing: it falls behind.
    await query(get().bed.pg.replica.meridianUri, "select pg_wal_replay_pause()");
    await query(get().bed.pg.primary.appUri, "create table filler (id serial primary key, pad text)");
    await query(
      get().bed.pg.primary.appUri,
      "insert into filler (pad) select repeat('x', 200) from generate_series(1, 500)",
    );
    await pollUntil("lag measured beyond the guard", 30_000, async () => {
      const app = await getApp(hub, ns(), "checkout");
      return (app.status?.regions?.find((r) => r.name === "eu-west")?.replicationLagBytes ?? 0) > maxLagBytes;
    });

    await scaleDeployment(hub, ns(), "checkout", 0);
    const held = await pollUntil("failover held back", 30_000, async () => {
      const app = await getApp(hub, ns(), "checkout");
      const c = app.status?.conditions?.find((x) => x.type === "FailoverReady");
      return app.status?.regions?.find((r) => r.name === "us-east")?.healthy === false &&
        c?.reason === "ReplicationLagTooHigh"
        ? c
        : undefined;
    });
    expect(held.status).toBe("False");
    expect(held.message).toMatch(/eu-west lags \d+ bytes, above maxLagBytes 4096/);
    // The Event is recorded in the same reconcile, just after the status write.
    const events = kubeConfigFor(hub).makeApiClient(EventsV1Api);
    await pollUntil("a Warning Event saying why", 10_000, async () =>
      (await events.listNamespacedEvent({ namespace: ns() })).items.some(
        (e) =>
          e.reason === "ReplicationLagTooHigh" && e.regarding?.name === "checkout" && e.type === "Warning",
      ),
    );
    // Invariant 3: no promotion was even started.
    expect(await promotionsOf(hub, ns(), "checkout")).toEqual([]);

    // An SRE accepts the loss: the failover goes ahead and the estimate is recorded.
    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "failoverpolicies",
        namespace: ns(),
        name: "fast",
        body: { spec: { promotion: { allowDataLoss: true } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const done = await pollUntil("failover finished", 60_000, async () => {
      const [p] = await promotionsOf(hub, ns(), "checkout");
      return finished(p) ? p : undefined;
    });
    expect(done.status?.phase).toBe("Succeeded");
    expect(done.status?.lagBytesAtPromotion).toBeGreaterThan(maxLagBytes);
    const app = await pollUntil("app records the loss estimate", 10_000, async () => {
      const a = await getApp(hub, ns(), "checkout");
      return a.status?.currentPrimary === "eu-west" ? a : undefined;
    });
    expect(app.status?.lastFailover?.dataLossEstimate?.bytes).toBe(done.status?.lagBytesAtPromotion);
    // An automatic failover answers an outage: its start is a Warning (a planned switchover's is Normal).
    const started = (await events.listNamespacedEvent({ namespace: ns() })).items.filter(
      (e) => e.reason === "PrimaryUnhealthy" && e.action === "Promote" && e.regarding?.name === "checkout",
    );
    expect(started.map((e) => e.type)).toEqual(["Warning"]);
  });
});
