import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BindServer, startBind } from "../harness/bind.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { dnsEndpoints, installDnsEndpointCrd } from "../harness/externaldns.ts";
import { type ExternalDnsProcess, startExternalDns } from "../harness/externaldns-process.ts";
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
import { appsApi, deployment, scaleDeployment } from "../harness/workloads.ts";

const { region } = sharedTestbed();
const hub = region("us-east");
const standby = region("eu-west");
const ns = useNamespace([hub, standby], "dnsepfo");
const zone = "example.test";
let operator: OperatorProcess;
let bind: BindServer;
let externalDns: ExternalDnsProcess;

/** What BIND answers, as any resolver would see it: the end of Meridian → DNSEndpoint → ExternalDNS → BIND. */
async function answered(app: string): Promise<string> {
  return (await bind.dig(`${app}.${zone}`, "A")).sort().join();
}

async function publishedTargets(app = "web"): Promise<string[] | undefined> {
  const obj = (await kubeConfigFor(hub)
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ ...dnsEndpoints, namespace: ns(), name: `meridian-${app}` })
    .catch(() => undefined)) as { spec?: { endpoints?: { targets?: string[] }[] } } | undefined;
  return obj?.spec?.endpoints?.[0]?.targets;
}

// The real ExternalDNS publishes the DNSEndpoints to BIND. A cold cache builds it first (~7 min).
beforeAll(async () => {
  await installDnsEndpointCrd(hub);
  bind = await startBind({ zones: [{ name: zone }] });
  externalDns = await startExternalDns({ hub, namespace: ns(), bind, zone, events: true });
}, 15 * 60_000);

beforeAll(async () => {
  const clusters = await setUpRegions(hub, ns(), [hub, standby], "web", 1);
  await createPolicy(hub, ns(), "fast", {
    intervalSeconds: 1,
    timeoutSeconds: 1,
    failureThreshold: 2,
    successThreshold: 1,
  });
  const appRegions = (workload: string) =>
    [hub, standby].map((r) => ({ name: r.name, clusterRef: clusters[r.name] as string, workload }));
  await createObject(hub, "regionalapps", regionalApp("web", ns(), "fast", appRegions("web")), ns());
  for (const r of [hub, standby]) {
    await appsApi(r).createNamespacedDeployment({ namespace: ns(), body: deployment("api", ns(), 1) });
  }
  const activeActive = regionalApp("api", ns(), "fast", appRegions("api"));
  await createObject(
    hub,
    "regionalapps",
    { ...activeActive, spec: { ...activeActive.spec, topology: "ActiveActive" } },
    ns(),
  );
  operator = await startOperator(hub, ["--namespace", ns(), "--probe-interval-seconds", "1"]);
});

afterAll(async () => {
  await operator?.stop();
  await externalDns?.stop();
  await bind?.stop();
  await deleteMemberClusters(hub, ns());
});

describe("DNS through an ExternalDNS DNSEndpoint, published to BIND by a real ExternalDNS", () => {
  it("active-active: a region leaves the record set when unhealthy and returns when healthy again", async () => {
    const both = ["203.0.113.10", "203.0.113.11"];
    await pollUntil(
      "both regions published",
      30_000,
      async () => (await publishedTargets("api"))?.sort().join() === both.join(),
    );
    await pollUntil("BIND answers both regions", 60_000, async () => (await answered("api")) === both.join());
    await scaleDeployment(standby, ns(), "api", 0);
    await pollUntil(
      "eu-west leaves the set",
      30_000,
      async () => (await publishedTargets("api"))?.join() === "203.0.113.10",
    );
    await pollUntil(
      "BIND answers us-east only",
      60_000,
      async () => (await answered("api")) === "203.0.113.10",
    );
    await scaleDeployment(standby, ns(), "api", 1);
    await pollUntil(
      "eu-west returns",
      30_000,
      async () => (await publishedTargets("api"))?.sort().join() === both.join(),
    );
    await pollUntil("BIND answers both again", 60_000, async () => (await answered("api")) === both.join());
    // Active-active region health is not a failover: the primary stayed healthy throughout.
    expect(await promotionsOf(hub, ns(), "api")).toEqual([]);
  });

  it("active-passive: a failover (engine none) ends with BIND answering the new primary", async () => {
    await pollUntil(
      "the primary published",
      30_000,
      async () => (await publishedTargets())?.join() === "203.0.113.10",
    );
    await pollUntil(
      "BIND answers the primary",
      60_000,
      async () => (await answered("web")) === "203.0.113.10",
    );
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
    // ExternalDNS picks the changed DNSEndpoint up (--events: within ~5 s) and rewrites BIND's record.
    await pollUntil("BIND answers eu-west", 60_000, async () => (await answered("web")) === "203.0.113.11");
  });
});
