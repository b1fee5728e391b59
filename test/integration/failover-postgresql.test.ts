import { CoreV1Api, EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { ReplicaPromotion } from "../../src/api/types.generated.ts";
import { type BindServer, startBind } from "../harness/bind.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { createObject, custom, deleteMemberClusters, getApp, setUpRegions } from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { type PostgresPair, startPostgresPair } from "../harness/postgres.ts";
import { createProbeTable, SplitBrainChecker } from "../harness/split-brain.ts";
import { kubeConfigFor } from "../harness/testbed.ts";
import { appsApi, scaleDeployment } from "../harness/workloads.ts";

const { region } = sharedTestbed();
const hub = region("us-east");
const standby = region("eu-west");
const ns = useNamespace([hub, standby], "failover");
const apiVersion = `${group}/${version}`;
const zone = "example.test";
const hostname = `checkout.${zone}`;
const endpoints = { "us-east": "203.0.113.10", "eu-west": "203.0.113.20" };
let pg: PostgresPair;
let bind: BindServer;
let operator: OperatorProcess;
let checker: SplitBrainChecker;

async function secret(name: string, stringData: Record<string, string>) {
  await kubeConfigFor(hub)
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({ namespace: ns(), body: { metadata: { name }, stringData } });
}

async function promotionsOf(app: string): Promise<ReplicaPromotion[]> {
  const list = (await custom(hub).listNamespacedCustomObject({
    group,
    version,
    plural: "replicapromotions",
    namespace: ns(),
  })) as {
    items: ReplicaPromotion[];
  };
  return list.items.filter((p) => p.spec.appRef.name === app);
}

beforeAll(async () => {
  pg = await startPostgresPair({ primary: "us-east", replica: "eu-west" });
  await createProbeTable(pg.primary.appUri);
  bind = await startBind({ zones: [{ name: zone, records: [`checkout 30 IN A ${endpoints["us-east"]}`] }] });
  const clusters = await setUpRegions(hub, ns(), [hub, standby], "checkout", 2);
  await scaleDeployment(standby, ns(), "checkout", 1); // a warm standby, smaller than the primary
  await secret("pg-us-east", { uri: pg.primary.meridianUri });
  await secret("pg-eu-west", { uri: pg.replica.meridianUri });
  await secret("tsig", { name: bind.key.name, algorithm: bind.key.algorithm, secret: bind.key.secret });
  await createObject(
    hub,
    "failoverpolicies",
    {
      apiVersion,
      kind: "FailoverPolicy",
      metadata: { name: "fast" },
      spec: {
        healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
        fencing: { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 },
        promotion: { maxLagBytes: 16 * 1024 * 1024, timeoutSeconds: 60 },
        dns: { ttlSeconds: 30 },
      },
    },
    ns(),
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
        regions: [hub, standby].map((r, i) => ({
          name: r.name,
          clusterRef: clusters[r.name],
          priority: i + 1,
          workload: { kind: "Deployment", name: "checkout" },
          endpoint: endpoints[r.name as keyof typeof endpoints],
          database: { connectionSecretRef: { name: `pg-${r.name}` } },
        })),
        dns: {
          hostname,
          recordType: "A",
          provider: { rfc2136: { server: bind.address, zone, tsigSecretRef: { name: "tsig" } } },
        },
        database: { engine: "postgresql" },
      },
    },
    ns(),
  );
  checker = new SplitBrainChecker([
    { region: "us-east", appUri: pg.primary.appUri },
    { region: "eu-west", appUri: pg.replica.appUri },
  ]);
  operator = await startOperator(hub, ["--namespace", ns(), "--probe-interval-seconds", "1"]);
});

afterAll(async () => {
  await checker?.stop();
  await operator?.stop();
  await deleteMemberClusters(hub, ns());
  await bind?.stop();
  await pg?.teardown();
});

describe("failover with a real PostgreSQL replica and a real BIND server", () => {
  it("measures replication lag and reports the app ready to fail over", async () => {
    const app = await pollUntil("FailoverReady with lag measured", 30_000, async () => {
      const a = await getApp(hub, ns(), "checkout");
      const lag = a.status?.regions?.find((r) => r.name === "eu-west")?.replicationLagBytes;
      const ready = a.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True";
      return ready && lag !== undefined ? a : undefined;
    });
    expect(app.status?.currentPrimary).toBe("us-east");
  });

  it("fails the primary's workload over: fenced, replica promoted, DNS moved, recorded", async () => {
    await scaleDeployment(hub, ns(), "checkout", 0);
    const done = await pollUntil(
      "promotion finished",
      90_000,
      async () => {
        const [p] = await promotionsOf("checkout");
        return p && ["Succeeded", "Failed", "Aborted"].includes(p.status?.phase ?? "") ? p : undefined;
      },
      250,
    );
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
    expect(app.status?.lastFailover).toMatchObject({
      type: "Failover",
      from: "us-east",
      to: "eu-west",
      epoch: 1,
    });
    expect(await bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
    const standbySize = await appsApi(standby).readNamespacedDeployment({
      name: "checkout",
      namespace: ns(),
    });
    expect(standbySize.spec?.replicas).toBeGreaterThanOrEqual(1);
    await pollUntil("eu-west takes writes", 10_000, () => checker.writableRounds("eu-west") > 0);
    expect(checker.splitBrainRounds()).toEqual([]);

    const events = await kubeConfigFor(hub)
      .makeApiClient(EventsV1Api)
      .listNamespacedEvent({ namespace: ns() });
    const reasons = events.items
      .filter((e) => e.regarding?.name === done.metadata?.name)
      .map((e) => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(["Fencing", "PrimaryFenced", "Rerouting", "PromotionSucceeded"]),
    );
    expect(await operator.metric('meridian_failover_total{type="Failover",result="success"}')).toBe(1);
  });
});
