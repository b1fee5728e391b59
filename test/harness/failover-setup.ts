import { CoreV1Api } from "@kubernetes/client-node";
import { group, version } from "../../src/api/group.ts";
import type { ReplicaPromotion } from "../../src/api/types.generated.ts";
import { type BindServer, startBind } from "./bind.ts";
import { createObject, custom, type InstallOptions, setUpRegions } from "./meridian.ts";
import { pollUntil } from "./poll.ts";
import { type PostgresPair, startPostgresPair } from "./postgres.ts";
import { kubeConfigFor, type Region } from "./testbed.ts";
import { scaleDeployment } from "./workloads.ts";

export const zone = "example.test";
export const hostname = `checkout.${zone}`;
export const endpoints: Record<string, string> = { "us-east": "203.0.113.10", "eu-west": "203.0.113.20" };

export interface FailoverBed {
  pg: PostgresPair;
  bind: BindServer;
  teardown(): Promise<void>;
}

/**
 * An app "checkout" with a PostgreSQL primary in us-east and its streaming replica in eu-west, a
 * warm standby workload in eu-west, and DNS on a real BIND server updated with rfc2136. The
 * Meridian objects live in `hub`, which is the primary region itself unless another is given.
 */
export async function setUpFailoverApp(
  regions: { hub: Region; primary: Region; standby: Region },
  namespace: string,
  policySpec: Record<string, unknown>,
  install: InstallOptions = {},
): Promise<FailoverBed> {
  const { hub, primary, standby } = regions;
  const pg = await startPostgresPair({ primary: "us-east", replica: "eu-west" });
  const bind = await startBind({
    zones: [{ name: zone, records: [`checkout 30 IN A ${endpoints["us-east"]}`] }],
  });
  const clusters = await setUpRegions(hub, namespace, [primary, standby], "checkout", 2, install);
  await scaleDeployment(standby, namespace, "checkout", 1);
  const core = kubeConfigFor(hub).makeApiClient(CoreV1Api);
  const secrets: Record<string, Record<string, string>> = {
    "pg-us-east": { uri: pg.primary.meridianUri },
    "pg-eu-west": { uri: pg.replica.meridianUri },
    tsig: { name: bind.key.name, algorithm: bind.key.algorithm, secret: bind.key.secret },
  };
  for (const [name, stringData] of Object.entries(secrets)) {
    await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData } });
  }
  const apiVersion = `${group}/${version}`;
  await createObject(
    hub,
    "failoverpolicies",
    { apiVersion, kind: "FailoverPolicy", metadata: { name: "fast" }, spec: policySpec },
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
        regions: [primary, standby].map((r, i) => ({
          name: r.name,
          clusterRef: clusters[r.name],
          priority: i + 1,
          workload: { kind: "Deployment", name: "checkout" },
          endpoint: endpoints[r.name],
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
    namespace,
  );
  return {
    pg,
    bind,
    async teardown() {
      await bind.stop();
      await pg.teardown();
    },
  };
}

/** A short-interval policy for tests; `overrides` are merged over it. */
export function fastPolicy(overrides: Record<string, unknown> = {}) {
  return {
    healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
    fencing: { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 },
    promotion: { maxLagBytes: 16 * 1024 * 1024, timeoutSeconds: 60 },
    dns: { ttlSeconds: 30 },
    ...overrides,
  };
}

export async function promotionsOf(hub: Region, namespace: string, app: string): Promise<ReplicaPromotion[]> {
  const list = (await custom(hub).listNamespacedCustomObject({
    group,
    version,
    plural: "replicapromotions",
    namespace,
  })) as {
    items: ReplicaPromotion[];
  };
  return list.items.filter((p) => p.spec.appRef.name === app);
}

export const finished = (p: ReplicaPromotion | undefined) =>
  ["Succeeded", "Failed", "Aborted"].includes(p?.status?.phase ?? "");

/** The app's first promotion once it has finished (Succeeded, Failed or Aborted). */
export function promotionFinished(hub: Region, namespace: string, app: string, timeoutMs: number) {
  return pollUntil(
    `the promotion of ${app} to finish`,
    timeoutMs,
    async () => {
      const [p] = await promotionsOf(hub, namespace, app);
      return finished(p) ? p : undefined;
    },
    250,
  );
}
