import { EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegionalApp, RegionStatus } from "../../src/api/types.generated.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import {
  createObject,
  createPolicy,
  deleteMemberClusters,
  getApp,
  getMemberCluster,
  regionalApp,
  setUpRegions,
} from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";
import { scaleDeployment } from "../harness/workloads.ts";

const { bed, regions, region } = sharedTestbed();
const hub = region("us-east");
const ns = useNamespace(regions, "health");
const policy = { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 2 };
const leaseArgs = [
  "--lease-duration-seconds",
  "4",
  "--renew-deadline-seconds",
  "3",
  "--retry-period-seconds",
  "0.5",
];
let clusters: Record<string, string> = {};
let operator: OperatorProcess;

const regionOf = (app: RegionalApp, name: string): RegionStatus | undefined =>
  app.status?.regions?.find((r) => r.name === name);
const condition = (
  obj: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } },
  type: string,
) => obj.status?.conditions?.find((c) => c.type === type);

const scale = (regionName: string, replicas: number) =>
  scaleDeployment(region(regionName), ns(), "checkout", replicas);

/** Polls the app's status of one region until `until` holds, keeping every distinct state seen on the way. */
async function watchRegion(name: string, until: (r: RegionStatus) => boolean, timeoutMs = 30_000) {
  const seen: RegionStatus[] = [];
  await pollUntil(
    `region ${name}`,
    timeoutMs,
    async () => {
      const r = regionOf(await getApp(hub, ns(), "checkout"), name);
      if (r && JSON.stringify(seen.at(-1)) !== JSON.stringify(r)) seen.push(r);
      return r !== undefined && until(r);
    },
    50,
  );
  return seen;
}

beforeAll(async () => {
  clusters = await setUpRegions(hub, ns(), regions, "checkout", 2);
  await createPolicy(hub, ns(), "fast", policy);
  const appRegions = regions.map((r) => ({
    name: r.name,
    clusterRef: clusters[r.name] as string,
    workload: "checkout",
  }));
  await createObject(hub, "regionalapps", regionalApp("checkout", ns(), "fast", appRegions), ns());
  operator = await startOperator(hub, ["--namespace", ns(), "--probe-interval-seconds", "1", ...leaseArgs]);
});

afterAll(async () => {
  await operator?.stop();
  await deleteMemberClusters(hub, ns());
});

describe("operator: member clusters and regional health", () => {
  it("probes every MemberCluster and records Reachable, Ready, version and latency", async () => {
    for (const r of regions) {
      const mc = await pollUntil(`${r.name} Ready`, 30_000, async () => {
        const obj = await getMemberCluster(hub, clusters[r.name] as string);
        return condition(obj, "Ready")?.status === "True" ? obj : undefined;
      });
      expect(condition(mc, "Reachable")).toMatchObject({ status: "True", reason: "ApiServerReachable" });
      expect(mc.status?.serverVersion).toBe("v1.36.3");
      expect(mc.status?.apiLatencyMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(mc.status?.lastProbeTime ?? "")).toBeGreaterThan(Date.now() - 60_000);
      expect(mc.status?.conditions?.every((c) => c.observedGeneration === mc.metadata?.generation)).toBe(
        true,
      );
    }
  });

  it("makes the app Ready with every region healthy and a failover target", async () => {
    const app = await pollUntil("app Ready", 30_000, async () => {
      const a = await getApp(hub, ns(), "checkout");
      return condition(a, "Ready")?.status === "True" && a.status?.healthyRegions === "3/3" ? a : undefined;
    });
    expect(app.status?.currentPrimary).toBe("us-east");
    expect(condition(app, "Degraded")).toMatchObject({ status: "False", reason: "AllRegionsHealthy" });
    expect(condition(app, "FailoverReady")).toMatchObject({ status: "True", reason: "PreflightPassed" });
    expect(condition(app, "FailoverReady")?.message).toContain("eu-west");
    expect(
      await operator.metric(`meridian_region_healthy{namespace="${ns()}",app="checkout",region="eu-west"}`),
    ).toBe(1);
  });

  it("turns a region scaled to 0 unhealthy exactly at the failure threshold, healthy again at the success threshold", async () => {
    await scale("eu-west", 0);
    const down = await watchRegion("eu-west", (r) => r.healthy === false);
    const flip = down.findIndex((r) => r.healthy === false);
    expect(down[flip]?.consecutiveFailures).toBe(policy.failureThreshold);
    // Before the flip the region was still healthy, with fewer failures than the threshold.
    const before = down.slice(0, flip);
    expect(
      before.every((r) => r.healthy === true && (r.consecutiveFailures ?? 0) < policy.failureThreshold),
    ).toBe(true);
    expect(before.map((r) => r.consecutiveFailures)).toEqual(expect.arrayContaining([1, 2]));
    expect(down[flip]?.message).toMatch(/scaled to 0 replicas/);

    const app = await getApp(hub, ns(), "checkout");
    expect(condition(app, "Degraded")).toMatchObject({ status: "True", reason: "WorkloadUnavailable" });
    expect(condition(app, "Ready")?.status).toBe("True"); // the primary is us-east, still healthy
    expect(
      await operator.metric(`meridian_region_healthy{namespace="${ns()}",app="checkout",region="eu-west"}`),
    ).toBe(0);
    const events = await kubeConfigFor(hub)
      .makeApiClient(EventsV1Api)
      .listNamespacedEvent({ namespace: ns() });
    expect(
      events.items.some(
        (e) =>
          e.reason === "WorkloadUnavailable" &&
          e.regarding?.name === "checkout" &&
          e.note?.includes("eu-west"),
      ),
    ).toBe(true);

    await scale("eu-west", 2);
    const up = await watchRegion("eu-west", (r) => r.healthy === true);
    const back = up.findIndex((r) => r.healthy === true);
    expect(up[back]?.consecutiveSuccesses).toBe(policy.successThreshold);
    expect(up.slice(0, back).every((r) => r.healthy === false)).toBe(true);
  });

  it("marks a region whose control plane stops unreachable, and recovers when it starts", async () => {
    const victim = "ap-south";
    await bed.stop(victim);
    try {
      const mc = await pollUntil("MemberCluster unreachable", 30_000, async () => {
        const obj = await getMemberCluster(hub, clusters[victim] as string);
        return condition(obj, "Reachable")?.status === "False" ? obj : undefined;
      });
      expect(condition(mc, "Reachable")?.reason).toBe("ApiServerUnreachable");
      expect(condition(mc, "Ready")?.status).toBe("False");
      const down = await watchRegion(victim, (r) => r.healthy === false);
      expect(down.at(-1)?.message).toMatch(/unreachable/);
      expect(await operator.metric(`meridian_member_cluster_reachable{cluster="${clusters[victim]}"}`)).toBe(
        0,
      );
    } finally {
      await bed.start(victim);
    }
    await pollUntil("MemberCluster reachable again", 30_000, async () => {
      return (
        condition(await getMemberCluster(hub, clusters[victim] as string), "Reachable")?.status === "True"
      );
    });
    await watchRegion(victim, (r) => r.healthy === true, 60_000);
  });
});
