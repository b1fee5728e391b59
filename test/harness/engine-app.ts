import { CoreV1Api, EventsV1Api } from "@kubernetes/client-node";
import { group, version } from "../../src/api/group.ts";
import { type BindServer, startBind } from "./bind.ts";
import { endpoints, fastPolicy, hostname, zone } from "./failover-setup.ts";
import { createObject, getApp, setUpRegions } from "./meridian.ts";
import { pollUntil } from "./poll.ts";
import { kubeConfigFor, type Region } from "./testbed.ts";
import { scaleDeployment } from "./workloads.ts";

/**
 * The "checkout" app of the failover tests (us-east primary, eu-west warm standby, DNS on a real
 * BIND server through rfc2136) with a database engine other than postgresql: `database` is
 * spec.database, `regionDatabase` each region's spec.regions[].database (or none).
 */
export async function setUpEngineApp(
  regions: { hub: Region; primary: Region; standby: Region },
  namespace: string,
  database: Record<string, unknown>,
  regionDatabase: (region: string) => Record<string, unknown> | undefined,
): Promise<BindServer> {
  const { hub, primary, standby } = regions;
  const bind = await startBind({
    zones: [{ name: zone, records: [`checkout 30 IN A ${endpoints["us-east"]}`] }],
  });
  const clusters = await setUpRegions(hub, namespace, [primary, standby], "checkout", 2);
  await scaleDeployment(standby, namespace, "checkout", 1);
  await kubeConfigFor(hub)
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: "tsig" },
        stringData: { name: bind.key.name, algorithm: bind.key.algorithm, secret: bind.key.secret },
      },
    });
  const apiVersion = `${group}/${version}`;
  await createObject(
    hub,
    "failoverpolicies",
    { apiVersion, kind: "FailoverPolicy", metadata: { name: "fast" }, spec: fastPolicy() },
    namespace,
  );
  await createObject(
    hub,
    "regionalapps",
    {
      apiVersion,
      kind: "RegionalApp",
      metadata: { name: "checkout" },
      spec: {
        policyRef: { name: "fast" },
        primaryRegion: "us-east",
        regions: [primary, standby].map((r, i) => {
          const db = regionDatabase(r.name);
          return {
            name: r.name,
            clusterRef: clusters[r.name],
            priority: i + 1,
            workload: { kind: "Deployment", name: "checkout" },
            endpoint: endpoints[r.name],
            ...(db ? { database: db } : {}),
          };
        }),
        dns: {
          hostname,
          recordType: "A",
          provider: { rfc2136: { server: bind.address, zone, tsigSecretRef: { name: "tsig" } } },
        },
        database,
      },
    },
    namespace,
  );
  return bind;
}

/** Creates a ReplicaPromotion of "checkout" (approved, so the policy's mode does not matter). */
export async function requestPromotion(
  hub: Region,
  namespace: string,
  name: string,
  targetRegion: string,
  type: "Switchover" | "Failover" = "Switchover",
): Promise<void> {
  await createObject(
    hub,
    "replicapromotions",
    {
      apiVersion: `${group}/${version}`,
      kind: "ReplicaPromotion",
      metadata: { name },
      spec: { appRef: { name: "checkout" }, targetRegion, type, reason: "test", approved: true },
    },
    namespace,
  );
}

/** The Events Meridian recorded about an object of the namespace, with a reason. */
export async function eventsFor(hub: Region, namespace: string, name: string, reason: string) {
  const events = await kubeConfigFor(hub).makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  return events.items.filter((e) => e.regarding?.name === name && e.reason === reason);
}

/**
 * Waits until the operator has recorded us-east as the applied primary and FailoverReady is True
 * (a switchover is a change from that value); on timeout the error carries the app's status.
 */
export async function waitUntilFailoverReady(hub: Region, namespace: string): Promise<void> {
  try {
    await pollUntil("us-east recorded as the applied primary, FailoverReady", 90_000, async () => {
      const app = await getApp(hub, namespace, "checkout");
      return (
        app.status?.lastAppliedPrimaryRegion === "us-east" &&
        app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True"
      );
    });
  } catch (err) {
    const app = await getApp(hub, namespace, "checkout").catch(() => undefined);
    throw new Error(`${(err as Error).message}; app status: ${JSON.stringify(app?.status)}`);
  }
}

/** Waits until us-east is healthy again as a standby; on timeout the error carries the app's status. */
export async function waitUntilRegionHealthy(hub: Region, namespace: string, region: string): Promise<void> {
  try {
    await pollUntil(`${region} healthy`, 90_000, async () => {
      const app = await getApp(hub, namespace, "checkout");
      return app.status?.regions?.find((r) => r.name === region)?.healthy === true;
    });
  } catch (err) {
    const app = await getApp(hub, namespace, "checkout").catch(() => undefined);
    throw new Error(`${(err as Error).message}; app status: ${JSON.stringify(app?.status)}`);
  }
}
