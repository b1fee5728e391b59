// The user's path through the API: `kubectl apply -f crds/`, then the samples, on a real API
// server; the objects come back with defaults filled in, and kubectl explains every field.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { crdsNotEstablished } from "../../src/api/install.ts";
import { failoverPolicy } from "../../src/api/schema/failover-policy.ts";
import { kinds } from "../../src/api/schema/kinds.ts";
import { regionalApp } from "../../src/api/schema/regional-app.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");
const { bed, region } = sharedTestbed();
const hub = region("us-east");
const namespace = useNamespace([hub], "api");
const customObjects = kubeConfigFor(hub).makeApiClient(CustomObjectsApi);

interface Sample {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

let workdir = "";
let samples: Sample[] = [];
let kubectlCalls = 0;

async function kubectl(...args: string[]): Promise<string> {
  // A discovery cache per call: the CRDs appear during the test, and a cache from before them
  // would hide the new kinds.
  const cacheDir = join(workdir, `cache-${kubectlCalls++}`);
  const { stdout } = await run(
    resolve(bed.binDir, "kubectl"),
    ["--kubeconfig", join(workdir, "kubeconfig"), "--cache-dir", cacheDir, ...args],
    { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

async function readSamples(): Promise<Sample[]> {
  const dir = resolve(repoRoot, "config/samples");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
  const texts = await Promise.all(files.map((f) => readFile(resolve(dir, f), "utf8")));
  return texts.flatMap((t) => parseAllDocuments(t).map((d) => d.toJS() as Sample));
}

function sample(kind: string, name?: string): Sample {
  const found = samples.find((s) => s.kind === kind && (name === undefined || s.metadata.name === name));
  if (!found) throw new Error(`config/samples has no ${kind} ${name ?? ""}`);
  return found;
}

/** Reads an object back the way a controller would, by its plural. */
async function readBack(kindName: string, name: string): Promise<Sample> {
  const kind = kinds.find((k) => k.kind === kindName);
  if (!kind) throw new Error(`unknown kind ${kindName}`);
  const common = { group: "meridian.dev", version: "v1alpha1", plural: kind.plural, name };
  return (
    kind.scope === "Cluster"
      ? await customObjects.getClusterCustomObject(common)
      : await customObjects.getNamespacedCustomObject({ ...common, namespace: namespace() })
  ) as Sample;
}

function at(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);
}

/** Whitespace-insensitive: kubectl explain wraps descriptions at 80 columns. */
const flat = (text: string) => text.replace(/\s+/g, " ");

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), "meridian-api-"));
  await writeFile(join(workdir, "kubeconfig"), hub.kubeconfig);
  samples = await readSamples();
});

afterAll(async () => {
  // MemberClusters are cluster-scoped, so deleting the test namespace does not remove them.
  const names = samples.filter((s) => s.kind === "MemberCluster").map((s) => s.metadata.name);
  if (names.length > 0) await kubectl("delete", "memberclusters", "--ignore-not-found", ...names);
  await rm(workdir, { recursive: true, force: true });
});

describe("CRDs and samples on a real API server", () => {
  it("installs with kubectl apply -f crds/ and every CRD becomes Established", async () => {
    const out = await kubectl("apply", "-f", "crds/");
    for (const kind of kinds)
      expect(out).toContain(`customresourcedefinition.apiextensions.k8s.io/${kind.plural}.meridian.dev`);
    const notReady = await pollUntil("Meridian CRDs established", 30_000, async () => {
      const pending = await crdsNotEstablished(kubeConfigFor(hub));
      return pending.length === 0 ? pending : false;
    });
    expect(notReady).toEqual([]);
  });

  it("accepts the samples: three MemberClusters, a FailoverPolicy, a RegionalApp and a ReplicaPromotion", async () => {
    expect(samples.map((s) => s.kind).sort()).toEqual([
      "FailoverPolicy",
      "MemberCluster",
      "MemberCluster",
      "MemberCluster",
      "RegionalApp",
      "ReplicaPromotion",
    ]);
    const regionNames = (sample("RegionalApp").spec.regions as { name: string }[]).map((r) => r.name);
    expect(regionNames).toEqual(["us-east", "eu-west", "ap-south"]);
    await kubectl("apply", "-n", namespace(), "-f", "config/samples/");
    for (const s of samples) {
      const stored = await readBack(s.kind, s.metadata.name);
      // Everything the sample says survives: no field was pruned as unknown.
      expect(stored.spec, `${s.kind} ${s.metadata.name}`).toMatchObject(s.spec);
    }
  });

  it.each([
    ["MemberCluster", ["spec", "kubeconfigSecretRef", "key"], "kubeconfig"],
    ["MemberCluster", ["spec", "allowExecAuth"], false],
    ["FailoverPolicy", ["spec", "failback"], { mode: "Manual", stabilizationSeconds: 300 }],
    ["RegionalApp", ["spec", "topology"], "ActivePassive"],
    ["RegionalApp", ["spec", "suspend"], false],
    ["RegionalApp", ["spec", "regions", 0, "workload", "kind"], "Deployment"],
    ["RegionalApp", ["spec", "regions", 0, "healthEndpoint", "expectStatus"], 200],
    ["RegionalApp", ["spec", "dns", "recordType"], "A"],
    ["ReplicaPromotion", ["spec", "allowDataLoss"], false],
  ] as const)("fills in %s %j with its default", async (kind, path, expected) => {
    const s = sample(kind, kind === "MemberCluster" ? "us-east" : undefined);
    expect(at(s, [...path]), "the sample must leave the field out").toBeUndefined();
    expect(at(await readBack(kind, s.metadata.name), [...path])).toEqual(expected);
  });

  it("completes an empty FailoverPolicy spec to DESIGN.md's values", async () => {
    await customObjects.createNamespacedCustomObject({
      group: "meridian.dev",
      version: "v1alpha1",
      plural: failoverPolicy.plural,
      namespace: namespace(),
      body: { apiVersion: "meridian.dev/v1alpha1", kind: "FailoverPolicy", metadata: { name: "defaults" } },
    });
    const stored = await readBack("FailoverPolicy", "defaults");
    expect(stored.spec).toEqual({
      mode: "Automatic",
      healthCheck: { intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 2 },
      fencing: {
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
        action: "ScaleToZero",
      },
      promotion: { maxLagBytes: 1048576, allowDataLoss: false, timeoutSeconds: 60 },
      dns: { ttlSeconds: 30 },
      failback: { mode: "Manual", stabilizationSeconds: 300 },
      minSecondsBetweenFailovers: 600,
      minHealthyRegions: 1,
    });
  });

  it("lists every kind under kubectl get meridian, by short name with its columns", async () => {
    const all = await kubectl("get", "meridian", "-n", namespace(), "-o", "name");
    for (const s of samples.filter((x) => x.kind !== "MemberCluster")) {
      expect(all).toContain(`${s.kind.toLowerCase()}.meridian.dev/${s.metadata.name}`);
    }
    const apps = await kubectl("get", "rapp", "-n", namespace());
    expect(apps.split("\n")[0]?.split(/\s+/)).toEqual([
      "NAME",
      "PRIMARY",
      "TOPOLOGY",
      "READY",
      "HEALTHY",
      "AGE",
    ]);
    expect(apps).toMatch(/checkout\s+ActivePassive/);
    const promotions = await kubectl("get", "rp", "-n", namespace());
    expect(promotions.split("\n")[0]?.split(/\s+/)).toEqual([
      "NAME",
      "APP",
      "FROM",
      "TO",
      "PHASE",
      "RTO",
      "AGE",
    ]);
    const clusters = await kubectl("get", "mc", "us-east");
    expect(clusters.split("\n")[0]?.split(/\s+/)).toEqual(["NAME", "REGION", "REACHABLE", "VERSION", "AGE"]);
    expect(clusters).toMatch(/us-east\s+us-east-1/);
  });

  it("teaches every field through kubectl explain", async () => {
    const regions = regionalApp.spec.properties?.regions;
    const explained = await pollUntil("kubectl explain to know RegionalApp", 30_000, async () =>
      flat(await kubectl("explain", "regionalapp.spec.regions")),
    );
    expect(explained).toContain(flat(regions?.description ?? "missing"));
    for (const [name, field] of Object.entries(regions?.items?.properties ?? {})) {
      expect(explained).toContain(name);
      expect(explained).toContain(flat(field.description));
    }
    const phase = flat(await kubectl("explain", "replicapromotion.status.phase"));
    expect(phase).toContain("Pending → Fencing → Promoting → Rerouting → Verifying → Succeeded");
    expect(phase).toMatch(/ENUM: Pending Fencing Promoting Rerouting Verifying Succeeded Failed Aborted/);
    const fencing = flat(await kubectl("explain", "fp.spec.fencing.renewDeadlineSeconds"));
    expect(fencing).toContain("Must be less than leaseDurationSeconds");
  });
});
