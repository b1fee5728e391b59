import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { dnsEndpoints, installDnsEndpointCrd } from "../harness/externaldns.ts";
import { finished, promotionsOf } from "../harness/failover-setup.ts";
import {
  createObject,
  createPolicy,
  deleteMemberClusters,
  getApp,
  regionalApp,
  setUpRegions,
} from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";
import { scaleDeployment } from "../harness/workloads.ts";

const { region } = sharedTestbed();
const hub = region("us-east");
const standby = region("eu-west");
const ns = useNamespace([hub, standby], "dnsepfo");
let operator: OperatorProcess;

async function publishedTargets(): Promise<string[] | undefined> {
  const obj = (await kubeConfigFor(hub)
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ ...dnsEndpoints, namespace: ns(), name: "meridian-web" })
    .catch(() => undefined)) as { spec?: { endpoints?: { targets?: string[] }[] } } | undefined;
  return obj?.spec?.endpoints?.[0]?.targets;
}

beforeAll(async () => {
  await installDnsEndpointCrd(hub);
  const clusters = await setUpRegions(hub, ns(), [hub, standby], "web", 1);
  await createPolicy(hub, ns(), "fast", {
    intervalSeconds: 1,
    timeoutSeconds: 1,
    failureThreshold: 2,
    successThreshold: 1,
  });
  const appRegions = [hub, standby].map((r) => ({
    name: r.name,
    clusterRef: clusters[r.name] as string,
    workload: "web",
  }));
  await createObject(hub, "regionalapps", regionalApp("web", ns(), "fast", appRegions), ns());
  operator = await startOperator(hub, ["--namespace", ns(), "--probe-interval-seconds", "1"]);
});

afterAll(async () => {
  await operator?.stop();
  await deleteMemberClusters(hub, ns());
});

describe("failover through an ExternalDNS DNSEndpoint", () => {
  it("moves the DNSEndpoint's target to the new primary (engine none: workload and DNS move)", async () => {
    await pollUntil("FailoverReady", 30_000, async () => {
      const app = await getApp(hub, ns(), "web");
      return app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True";
    });
    await scaleDeployment(hub, ns(), "web", 0);
    const done = await pollUntil("failover", 60_000, async () => {
      const [p] = await promotionsOf(hub, ns(), "web");
      return finished(p) ? p : undefined;
    });
    expect(done.status?.phase).toBe("Succeeded");
    // regionalApp() gives eu-west the second endpoint, 203.0.113.11.
    expect(await publishedTargets()).toEqual(["203.0.113.11"]);
    const app = await pollUntil("recorded", 10_000, async () => {
      const a = await getApp(hub, ns(), "web");
      return a.status?.currentPrimary === "eu-west" ? a : undefined;
    });
    expect(app.status?.lastFailover?.to).toBe("eu-west");
  });
});
