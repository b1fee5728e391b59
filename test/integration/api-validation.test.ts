// Bad input meets the real API server: each case changes one thing in a valid sample, and the
// server must reject it with a message that names the offending field (and, for Meridian's own
// rules, says how to fix it).
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ApiException, CustomObjectsApi } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { applyCrds, crdsNotEstablished } from "../../src/api/install.ts";
import { kinds } from "../../src/api/schema/kinds.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const hub = sharedTestbed().region("us-east");
const namespace = useNamespace([hub], "apival");
const api = kubeConfigFor(hub).makeApiClient(CustomObjectsApi);

type Obj = { kind: string; metadata: { name: string }; spec: Record<string, unknown> } & Record<
  string,
  unknown
>;
// biome-ignore lint/suspicious/noExplicitAny: the cases write values the generated types forbid, which is their point
type Spec = any;
type Kind = "MemberCluster" | "FailoverPolicy" | "RegionalApp" | "ReplicaPromotion";

interface Rejection {
  field: string;
  message: string;
  /** All causes the API server gave, for the failure message. */
  all: string;
}

const samples = new Map<string, Obj>();

/** A deep copy of the sample of `kind`, with its spec changed by `edit`, under a name of its own. */
function variant(kind: Kind, name: string, edit: (spec: Spec) => void = () => undefined): Obj {
  const base = samples.get(kind);
  if (!base) throw new Error(`no sample ${kind}`);
  const copy = structuredClone(base);
  copy.metadata = { name };
  edit(copy.spec);
  return copy;
}

function target(kind: string) {
  const def = kinds.find((k) => k.kind === kind);
  if (!def) throw new Error(`unknown kind ${kind}`);
  const common = { group: "meridian.dev", version: "v1alpha1", plural: def.plural };
  return def.scope === "Cluster" ? common : { ...common, namespace: namespace() };
}

async function create(obj: Obj, dryRun?: "All"): Promise<unknown> {
  const t = target(obj.kind);
  return "namespace" in t
    ? api.createNamespacedCustomObject({ ...t, body: obj, dryRun })
    : api.createClusterCustomObject({ ...t, body: obj, dryRun });
}

/** The causes of a 422 Invalid answer; anything else is a test failure. */
async function rejection(request: Promise<unknown>): Promise<Rejection[]> {
  const err = await request.then(
    () => {
      throw new Error("the API server accepted the object");
    },
    (e: unknown) => e,
  );
  if (!(err instanceof ApiException) || err.code !== 422) throw err;
  const status = JSON.parse(err.body as string) as {
    message: string;
    details?: { causes?: { field?: string; message?: string }[] };
  };
  const causes = status.details?.causes ?? [];
  const all = causes.map((c) => `${c.field}: ${c.message}`).join("\n");
  expect(status.message).toContain("is invalid");
  return causes.map((c) => ({ field: c.field ?? "", message: c.message ?? "", all }));
}

function expectCause(causes: Rejection[], field: string, messagePart?: string): void {
  const onField = causes.filter((c) => c.field === field);
  expect(onField, `no cause on ${field}; got:\n${causes[0]?.all}`).not.toHaveLength(0);
  if (messagePart) {
    expect(
      onField.map((c) => c.message),
      `message on ${field}`,
    ).toEqual(expect.arrayContaining([expect.stringContaining(messagePart)]));
  }
}

beforeAll(async () => {
  const kc = kubeConfigFor(hub);
  await applyCrds(kc, "meridian-tests");
  await pollUntil(
    "Meridian CRDs established",
    30_000,
    async () => (await crdsNotEstablished(kc)).length === 0,
  );
  const dir = resolve(repoRoot, "config/samples");
  for (const file of [
    "member-clusters.yaml",
    "failover-policy.yaml",
    "regional-app.yaml",
    "replica-promotion.yaml",
  ]) {
    const [first] = parseAllDocuments(await readFile(resolve(dir, file), "utf8")).map((d) => d.toJS() as Obj);
    if (first) samples.set(first.kind, first);
  }
});

interface Case {
  name: string;
  kind: Kind;
  edit: (spec: Spec) => void;
  field: string;
  /** Part of the message on that field; for Meridian's own rules, the hint how to fix it. */
  message?: string;
}

const cases: Case[] = [
  // MemberCluster
  { name: "region missing", kind: "MemberCluster", edit: (s) => delete s.region, field: "spec.region" },
  {
    name: "region not a DNS label",
    kind: "MemberCluster",
    edit: (s) => (s.region = "US_East"),
    field: "spec.region",
    message: "should match",
  },
  {
    name: "kubeconfig Secret without namespace",
    kind: "MemberCluster",
    edit: (s) => delete s.kubeconfigSecretRef.namespace,
    field: "spec.kubeconfigSecretRef.namespace",
    message: "Required value",
  },
  {
    name: "allowExecAuth not a boolean",
    kind: "MemberCluster",
    edit: (s) => (s.allowExecAuth = "yes"),
    field: "spec.allowExecAuth",
  },
  {
    name: "jurisdiction with a space",
    kind: "MemberCluster",
    edit: (s) => (s.jurisdiction = "u s"),
    field: "spec.jurisdiction",
  },
  // FailoverPolicy
  {
    name: "unknown mode",
    kind: "FailoverPolicy",
    edit: (s) => (s.mode = "Auto"),
    field: "spec.mode",
    message: 'supported values: "Automatic", "Manual"',
  },
  {
    name: "failureThreshold 0",
    kind: "FailoverPolicy",
    edit: (s) => (s.healthCheck.failureThreshold = 0),
    field: "spec.healthCheck.failureThreshold",
    message: "greater than or equal to 1",
  },
  {
    name: "successThreshold 0",
    kind: "FailoverPolicy",
    edit: (s) => (s.healthCheck.successThreshold = 0),
    field: "spec.healthCheck.successThreshold",
    message: "greater than or equal to 1",
  },
  {
    name: "probe timeout longer than the interval",
    kind: "FailoverPolicy",
    edit: (s) => (s.healthCheck.timeoutSeconds = 5),
    field: "spec.healthCheck.timeoutSeconds",
    message: "timeoutSeconds (5) must not exceed intervalSeconds (2)",
  },
  {
    name: "renewDeadline not below leaseDuration",
    kind: "FailoverPolicy",
    edit: (s) => (s.fencing.renewDeadlineSeconds = 15),
    field: "spec.fencing.renewDeadlineSeconds",
    message: "renewDeadlineSeconds (15) must be less than leaseDurationSeconds (15)",
  },
  {
    name: "renewDeadline not above 1.2 × retryPeriod",
    kind: "FailoverPolicy",
    edit: (s) => (s.fencing.retryPeriodSeconds = 9),
    field: "spec.fencing.renewDeadlineSeconds",
    message: "must be more than 1.2 * retryPeriodSeconds (9): the hub needs room for a retry",
  },
  {
    name: "unknown fencing action",
    kind: "FailoverPolicy",
    edit: (s) => (s.fencing.action = "Delete"),
    field: "spec.fencing.action",
    message: "ScaleToZero",
  },
  {
    name: "negative maxLagBytes",
    kind: "FailoverPolicy",
    edit: (s) => (s.promotion.maxLagBytes = -1),
    field: "spec.promotion.maxLagBytes",
  },
  {
    name: "unknown failback mode",
    kind: "FailoverPolicy",
    edit: (s) => (s.failback = { mode: "Never" }),
    field: "spec.failback.mode",
  },
  {
    name: "failback mode Automatic (not implemented yet)",
    kind: "FailoverPolicy",
    edit: (s) => (s.failback = { mode: "Automatic" }),
    field: "spec.failback.mode",
    message: "failback.mode Automatic is not implemented yet",
  },
  {
    name: "minHealthyRegions 0",
    kind: "FailoverPolicy",
    edit: (s) => (s.minHealthyRegions = 0),
    field: "spec.minHealthyRegions",
  },
  {
    name: "jurisdiction listed twice",
    kind: "FailoverPolicy",
    edit: (s) => (s.allowedJurisdictions = ["us", "us"]),
    field: "spec.allowedJurisdictions[1]",
    message: "Duplicate value",
  },
  {
    name: "DNS TTL 0",
    kind: "FailoverPolicy",
    edit: (s) => (s.dns.ttlSeconds = 0),
    field: "spec.dns.ttlSeconds",
  },
  // RegionalApp
  {
    name: "primaryRegion not among the regions",
    kind: "RegionalApp",
    edit: (s) => (s.primaryRegion = "us-west"),
    field: "spec.primaryRegion",
    message:
      'primaryRegion us-west is not the name of any entry in spec.regions ["us-east", "eu-west", "ap-south"]',
  },
  {
    name: "two regions with one name",
    kind: "RegionalApp",
    edit: (s) => (s.regions[2].name = "eu-west"),
    field: "spec.regions",
    message: "eu-west appears more than once: give each region its own name",
  },
  {
    name: "two regions on one MemberCluster",
    kind: "RegionalApp",
    edit: (s) => (s.regions[1].clusterRef = "us-east"),
    field: "spec.regions",
    message: "clusterRef us-east is used by more than one region",
  },
  {
    name: "region without clusterRef",
    kind: "RegionalApp",
    edit: (s) => delete s.regions[1].clusterRef,
    field: "spec.regions[1].clusterRef",
    message: "Required value",
  },
  {
    name: "region name with an underscore",
    kind: "RegionalApp",
    edit: (s) => {
      s.regions[1].name = "eu_west";
    },
    field: "spec.regions[1].name",
  },
  {
    name: "two DNS providers",
    kind: "RegionalApp",
    edit: (s) =>
      (s.dns.provider.rfc2136 = {
        server: "192.0.2.53:53",
        zone: "example.com",
        tsigSecretRef: { name: "t" },
      }),
    field: "spec.dns.provider",
    message: "set exactly one DNS provider",
  },
  {
    name: "no DNS provider",
    kind: "RegionalApp",
    edit: (s) => (s.dns.provider = {}),
    field: "spec.dns.provider",
    message: "set exactly one DNS provider",
  },
  {
    name: "unknown topology",
    kind: "RegionalApp",
    edit: (s) => (s.topology = "MultiMaster"),
    field: "spec.topology",
  },
  {
    name: "DaemonSet workload",
    kind: "RegionalApp",
    edit: (s) => (s.regions[0].workload.kind = "DaemonSet"),
    field: "spec.regions[0].workload.kind",
    message: '"Deployment", "StatefulSet"',
  },
  {
    name: "hostname endpoint for an A record",
    kind: "RegionalApp",
    edit: (s) => (s.regions[2].endpoint = "checkout.ap-south.example.com"),
    field: "spec.regions",
    message: 'must be an IPv4 address because spec.dns.recordType is A; fix the endpoint of ["ap-south"]',
  },
  {
    name: "IPv4 endpoints for an AAAA record",
    kind: "RegionalApp",
    edit: (s) => (s.dns.recordType = "AAAA"),
    field: "spec.regions",
    message: "must be an IPv6 address",
  },
  {
    name: "CNAME for an ActiveActive app",
    kind: "RegionalApp",
    edit: (s) => {
      s.topology = "ActiveActive";
      s.dns.recordType = "CNAME";
      for (const r of s.regions) r.endpoint = `${r.name}.lb.example.com`;
    },
    field: "spec.dns.recordType",
    message: "use recordType A or AAAA, or topology ActivePassive",
  },
  {
    name: "postgresql without a region's connection Secret",
    kind: "RegionalApp",
    edit: (s) => delete s.regions[1].database,
    field: "spec.regions",
    message: 'set spec.regions[].database.connectionSecretRef for ["eu-west"]',
  },
  {
    name: "cloudnative-pg without a region's Cluster",
    kind: "RegionalApp",
    edit: (s) => (s.database.engine = "cloudnative-pg"),
    field: "spec.regions",
    message: 'set spec.regions[].database.cloudNativePG.clusterName for ["us-east", "eu-west", "ap-south"]',
  },
  {
    name: "engine job without its Jobs",
    kind: "RegionalApp",
    edit: (s) => (s.database.engine = "job"),
    field: "spec.database",
    message: "set it (with fence and promote templates) when engine is job",
  },
  {
    name: "job rejoin template (not implemented yet)",
    kind: "RegionalApp",
    edit: (s) => {
      const step = { image: "tools:1" };
      s.database = { engine: "job", job: { fence: step, promote: step, rejoin: step } };
    },
    field: "spec.database.job.rejoin",
    message: "job.rejoin is not implemented yet",
  },
  {
    name: "unknown database engine",
    kind: "RegionalApp",
    edit: (s) => (s.database.engine = "mysql"),
    field: "spec.database.engine",
  },
  {
    name: "no regions",
    kind: "RegionalApp",
    edit: (s) => (s.regions = []),
    field: "spec.regions",
    message: "at least 1 items",
  },
  {
    name: "health URL that is not http(s)",
    kind: "RegionalApp",
    edit: (s) => (s.regions[0].healthEndpoint.url = "ftp://203.0.113.10/healthz"),
    field: "spec.regions[0].healthEndpoint.url",
    message: "is not an absolute http:// or https:// URL",
  },
  {
    name: "hostname outside the rfc2136 zone",
    kind: "RegionalApp",
    edit: (s) =>
      (s.dns.provider = {
        rfc2136: { server: "192.0.2.53:53", zone: "example.org", tsigSecretRef: { name: "t" } },
      }),
    field: "spec.dns.hostname",
    message: "checkout.example.com is not inside the rfc2136 zone example.org",
  },
  {
    name: "rfc2136 server without a port",
    kind: "RegionalApp",
    edit: (s) =>
      (s.dns.provider = {
        rfc2136: { server: "192.0.2.53", zone: "example.com", tsigSecretRef: { name: "t" } },
      }),
    field: "spec.dns.provider.rfc2136.server",
  },
  { name: "no policyRef", kind: "RegionalApp", edit: (s) => delete s.policyRef, field: "spec.policyRef" },
  // ReplicaPromotion
  {
    name: "unknown promotion type",
    kind: "ReplicaPromotion",
    edit: (s) => (s.type = "Rollback"),
    field: "spec.type",
  },
  {
    name: "allowDataLoss on a switchover",
    kind: "ReplicaPromotion",
    edit: (s) => (s.allowDataLoss = true),
    field: "spec.allowDataLoss",
    message: "allowDataLoss applies to type Failover only: a Switchover waits for the replica to catch up",
  },
  {
    name: "no targetRegion",
    kind: "ReplicaPromotion",
    edit: (s) => delete s.targetRegion,
    field: "spec.targetRegion",
  },
];

describe("the API server rejects invalid objects, naming the field", () => {
  it("accepts every unchanged sample, so each case below fails for its one change", async () => {
    expect([...samples.keys()].sort()).toEqual([
      "FailoverPolicy",
      "MemberCluster",
      "RegionalApp",
      "ReplicaPromotion",
    ]);
    for (const kind of samples.keys()) await create(variant(kind as Kind, "valid"), "All");
  });

  it("has at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c, i) => [c.name, { ...c, index: i }] as const))("%s", async (_name, c) => {
    const causes = await rejection(create(variant(c.kind, `bad-${c.index}`, c.edit), "All"));
    expectCause(causes, c.field, c.message);
  });
});

describe("a ReplicaPromotion records one promotion", () => {
  const promotion = (name: string, approved: boolean) =>
    variant("ReplicaPromotion", name, (s) => {
      s.approved = approved;
    });
  const patch = (name: string, body: object[]) =>
    api.patchNamespacedCustomObject({
      ...target("ReplicaPromotion"),
      namespace: namespace(),
      name,
      body,
      dryRun: "All",
    });

  beforeAll(async () => {
    await create(promotion("awaiting-approval", false));
    await create(promotion("approved", true));
  });

  it("may be approved after creation", async () => {
    const approved = (await patch("awaiting-approval", [
      { op: "replace", path: "/spec/approved", value: true },
    ])) as Obj;
    expect(approved.spec.approved).toBe(true);
  });

  it.each([
    ["targetRegion", "ap-south"],
    ["type", "Drill"],
    ["dryRun", false],
    ["reason", "something else"],
  ])("refuses a change of spec.%s", async (field, value) => {
    const causes = await rejection(patch("approved", [{ op: "replace", path: `/spec/${field}`, value }]));
    expectCause(causes, `spec.${field}`, `${field} cannot change after creation`);
  });

  it("refuses removing spec.reason", async () => {
    const causes = await rejection(patch("approved", [{ op: "remove", path: "/spec/reason" }]));
    expectCause(causes, "spec.reason", "reason cannot change after creation");
  });

  it("refuses withdrawing an approval", async () => {
    const causes = await rejection(
      patch("approved", [{ op: "replace", path: "/spec/approved", value: false }]),
    );
    expectCause(causes, "spec.approved", "approved cannot go back to false");
  });

  it("refuses an unknown phase in status", async () => {
    const causes = await rejection(
      api.patchNamespacedCustomObjectStatus({
        ...target("ReplicaPromotion"),
        namespace: namespace(),
        name: "approved",
        body: [{ op: "add", path: "/status", value: { phase: "Done" } }],
        dryRun: "All",
      }),
    );
    expectCause(causes, "status.phase", "Unsupported value");
  });
});
