import { CoreV1Api } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { pollUntil } from "../harness/poll.ts";
import { isReady, kubeConfigFor } from "../harness/testbed.ts";
import { appsApi, deployment } from "../harness/workloads.ts";

const { bed, regions, bootSeconds, region } = sharedTestbed();
const namespace = useNamespace(regions, "smoke");

describe("test bed", () => {
  it("runs three real control planes", async () => {
    console.log(`[smoke] bringing up ${regions.length} regions took ${bootSeconds.toFixed(1)} s`);
    expect(regions.map((r) => r.name)).toEqual(["us-east", "eu-west", "ap-south"]);
    const servers = new Set(regions.map((r) => r.server));
    expect(servers.size).toBe(3);
    for (const r of regions) {
      const version = await kubeConfigFor(r).makeApiClient(CoreV1Api).getAPIResources();
      expect(version.resources.some((res) => res.name === "pods")).toBe(true);
    }
  });

  it("rolls a Deployment out to availableReplicas in every region", async () => {
    for (const r of regions) {
      await appsApi(r).createNamespacedDeployment({
        namespace: namespace(),
        body: deployment("web", namespace(), 2),
      });
    }
    for (const r of regions) {
      const available = await pollUntil(`web available in ${r.name}`, 60_000, async () => {
        const d = await appsApi(r).readNamespacedDeployment({ name: "web", namespace: namespace() });
        return d.status?.availableReplicas === 2 ? d.status.availableReplicas : false;
      });
      expect(available).toBe(2);
    }
  });

  it("makes a stopped region unreachable and a started one reachable again", async () => {
    const victim = region("ap-south");
    await bed.stop(victim.name);
    try {
      await pollUntil("ap-south unreachable", 30_000, async () => !(await isReady(victim)));
      await expect(
        appsApi(victim).readNamespacedDeployment({ name: "web", namespace: namespace() }),
      ).rejects.toThrow();
      // The other regions are untouched by the outage.
      expect(await isReady(region("us-east"))).toBe(true);
    } finally {
      await bed.start(victim.name);
    }
    expect(await isReady(victim)).toBe(true);
    const d = await appsApi(victim).readNamespacedDeployment({ name: "web", namespace: namespace() });
    expect(d.spec?.replicas).toBe(2);
    // The restarted region runs new workloads again (its controllers and kwok came back too).
    await appsApi(victim).createNamespacedDeployment({
      namespace: namespace(),
      body: deployment("after", namespace(), 1),
    });
    await pollUntil("a new Deployment available after the outage", 60_000, async () => {
      const after = await appsApi(victim).readNamespacedDeployment({ name: "after", namespace: namespace() });
      return after.status?.availableReplicas === 1;
    });
  });
});
