import { CoordinationV1Api, EventsV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { useFailoverApp } from "../harness/failover-context.ts";
import { endpoints, hostname, promotionFinished } from "../harness/failover-setup.ts";
import { getApp } from "../harness/meridian.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";
import { appsApi, scaleDeployment } from "../harness/workloads.ts";

const { hub, standby, ns, get } = useFailoverApp("failover");

async function readLease(r: typeof hub) {
  return kubeConfigFor(r)
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: "meridian-checkout", namespace: ns() })
    .catch(() => undefined);
}

describe("failover with a real PostgreSQL replica and a real BIND server", () => {
  it("measures replication lag and reports the app ready to fail over", async () => {
    const app = await pollUntil("FailoverReady with lag measured", 30_000, async () => {
      const a = await getApp(hub, ns(), "checkout");
      const lag = a.status?.regions?.find((r) => r.name === "eu-west")?.replicationLagBytes;
      const ready = a.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True";
      return ready && lag !== undefined ? a : undefined;
    });
    expect(app.status?.currentPrimary).toBe("us-east");
    // The operator renews nothing in the member clusters (the first design's per-app Lease is gone):
    // region Leases are held by agents, in the hub.
    expect(await readLease(hub)).toBeUndefined();
  });

  it("fails the primary's workload over: fenced, replica promoted, DNS moved, recorded", async () => {
    await scaleDeployment(hub, ns(), "checkout", 0);
    const done = await promotionFinished(hub, ns(), "checkout", 90_000);
    expect(done.status?.phase, JSON.stringify(done.status)).toBe("Succeeded");
    expect(done.spec.type).toBe("Failover");
    expect(done.spec.targetRegion).toBe("eu-west");
    expect(done.status?.fromRegion).toBe("us-east");
    expect(done.status?.epoch).toBe(1);
    expect(done.status?.steps?.map((s) => s.name)).toEqual([
      "Pending",
      "Fencing",
      "Promoting",
      "Rerouting",
      "Verifying",
      "Succeeded",
    ]);
    expect(done.status?.rtoSeconds).toBeGreaterThan(0);
    expect(done.status?.lagBytesAtPromotion).toBeGreaterThanOrEqual(0);

    // The new primary takes the app's writes; the old one refuses them.
    const app = await pollUntil("app records the failover", 10_000, async () => {
      const a = await getApp(hub, ns(), "checkout");
      return a.status?.currentPrimary === "eu-west" ? a : undefined;
    });
    expect(app.status?.epoch).toBe(1);
    // The handover the promotion took the epoch with is over, and nothing renews per-app Leases.
    expect(app.status?.handover).toBeUndefined();
    expect(await readLease(standby)).toBeUndefined();
    expect(app.status?.lastFailover).toMatchObject({
      type: "Failover",
      from: "us-east",
      to: "eu-west",
      epoch: 1,
    });
    expect(await get().bed.bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
    const standbySize = await appsApi(standby).readNamespacedDeployment({
      name: "checkout",
      namespace: ns(),
    });
    expect(standbySize.spec?.replicas).toBeGreaterThanOrEqual(1);
    await pollUntil("eu-west takes writes", 10_000, () => get().checker.writableRounds("eu-west") > 0);
    expect(get().checker.splitBrainRounds()).toEqual([]);

    const events = await kubeConfigFor(hub)
      .makeApiClient(EventsV1Api)
      .listNamespacedEvent({ namespace: ns() });
    const reasons = events.items
      .filter((e) => e.regarding?.name === done.metadata?.name)
      .map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(["Fencing", "PrimaryFenced", "Rerouting", "PromotionSucceeded"]),
    );
    expect(await get().operator?.metric('meridian_failover_total{type="Failover",result="success"}')).toBe(1);
  });
});
