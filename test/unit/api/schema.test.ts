import { describe, expect, it } from "vitest";
import { customResourceDefinitions, type WireSchema } from "../../../src/api/crds.ts";

const crds = customResourceDefinitions();

function crd(kind: string) {
  const found = crds.find((c) => c.spec.names.kind === kind);
  if (!found) throw new Error(`no CRD for ${kind}`);
  return found;
}

function root(kind: string): WireSchema {
  const schema = crd(kind).spec.versions[0]?.schema.openAPIV3Schema;
  if (!schema) throw new Error(`${kind} has no schema`);
  return schema;
}

/** Every schema node below `schema` with its path, e.g. spec.regions[].name. */
function nodes(schema: WireSchema, path: string): [string, WireSchema][] {
  const children = Object.entries(schema.properties ?? {}).flatMap(([name, child]) =>
    nodes(child, `${path}.${name}`),
  );
  const items = schema.items ? nodes(schema.items, `${path}[]`) : [];
  return [[path, schema], ...children, ...items];
}

const allNodes = crds.flatMap((c) => {
  const schema = root(c.spec.names.kind);
  return nodes(schema, c.spec.names.kind).filter(([path]) => path !== `${c.spec.names.kind}.metadata`);
});

/** The field paths of DESIGN.md's API sketch: the contract, never to be renamed. */
const contract: Record<string, string[]> = {
  MemberCluster: [
    "spec.region",
    "spec.zone",
    "spec.jurisdiction",
    "spec.kubeconfigSecretRef.namespace",
    "spec.kubeconfigSecretRef.name",
    "spec.kubeconfigSecretRef.key",
    "spec.allowExecAuth",
    "status.conditions",
    "status.serverVersion",
    "status.apiLatencyMs",
    "status.lastProbeTime",
  ],
  FailoverPolicy: [
    "spec.mode",
    "spec.healthCheck.intervalSeconds",
    "spec.healthCheck.timeoutSeconds",
    "spec.healthCheck.failureThreshold",
    "spec.healthCheck.successThreshold",
    "spec.fencing.leaseDurationSeconds",
    "spec.fencing.renewDeadlineSeconds",
    "spec.fencing.retryPeriodSeconds",
    "spec.fencing.action",
    "spec.promotion.maxLagBytes",
    "spec.promotion.maxLagSeconds",
    "spec.promotion.allowDataLoss",
    "spec.promotion.timeoutSeconds",
    "spec.dns.ttlSeconds",
    "spec.failback.mode",
    "spec.failback.stabilizationSeconds",
    "spec.minSecondsBetweenFailovers",
    "spec.minHealthyRegions",
    "spec.allowedJurisdictions",
  ],
  RegionalApp: [
    "spec.policyRef.name",
    "spec.topology",
    "spec.primaryRegion",
    "spec.suspend",
    "spec.regions[].name",
    "spec.regions[].clusterRef",
    "spec.regions[].priority",
    "spec.regions[].workload.kind",
    "spec.regions[].workload.namespace",
    "spec.regions[].workload.name",
    "spec.regions[].standbyReplicas",
    "spec.regions[].endpoint",
    "spec.regions[].healthEndpoint.url",
    "spec.regions[].healthEndpoint.expectStatus",
    "spec.regions[].database.connectionSecretRef.name",
    "spec.dns.hostname",
    "spec.dns.recordType",
    "spec.dns.provider.dnsEndpoint.namespace",
    "spec.dns.provider.rfc2136.server",
    "spec.dns.provider.rfc2136.zone",
    "spec.dns.provider.rfc2136.tsigSecretRef.name",
    "spec.database.engine",
    "status.currentPrimary",
    "status.epoch",
    "status.regions[].healthy",
    "status.regions[].replicationLagBytes",
    "status.lastFailover.from",
    "status.lastFailover.to",
    "status.lastFailover.reason",
    "status.lastFailover.rtoSeconds",
    "status.lastFailover.dataLossEstimate",
    "status.observedGeneration",
    "status.conditions",
  ],
  ReplicaPromotion: [
    "spec.appRef.name",
    "spec.targetRegion",
    "spec.type",
    "spec.reason",
    "spec.allowDataLoss",
    "spec.dryRun",
    "spec.approved",
    "status.phase",
    "status.epoch",
    "status.fromRegion",
    "status.steps[].name",
    "status.steps[].startedAt",
    "status.steps[].completedAt",
    "status.steps[].message",
    "status.rtoSeconds",
    "status.lagBytesAtPromotion",
    "status.conditions",
  ],
};

describe("CRD schemas", () => {
  it.each(Object.entries(contract))("%s has every field of the API sketch", (kind, paths) => {
    const present = new Set(nodes(root(kind), "").map(([path]) => path.slice(1)));
    expect(paths.filter((p) => !present.has(p))).toEqual([]);
  });

  it("documents every field, so kubectl explain teaches", () => {
    const undocumented = allNodes.filter(([, s]) => !s.description?.trim()).map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it("bounds every list and string, or the API server's CEL cost estimate rejects the CRD", () => {
    const unbounded = allNodes
      .filter(([path]) => /\.(spec|status)\b/.test(path)) // apiVersion and kind are the API server's
      .filter(([, s]) => (s.type === "array" && s.maxItems === undefined) || unboundedString(s))
      .map(([path]) => path);
    expect(unbounded).toEqual([]);
  });

  it("keys every map-list by required fields", () => {
    for (const [path, s] of allNodes) {
      for (const key of s["x-kubernetes-list-map-keys"] ?? []) {
        expect(s.items?.required, `${path} key ${key}`).toContain(key);
      }
    }
  });

  it.each(crds.map((c) => [c.spec.names.kind, c]))(
    "%s has the status subresource, a short name and the meridian category",
    (_kind, c) => {
      const version = c.spec.versions[0];
      expect(version?.subresources).toEqual({ status: {} });
      expect(c.spec.names.shortNames).toHaveLength(1);
      expect(c.spec.names.categories).toEqual(["meridian"]);
    },
  );

  it("has the short names and printer columns users type and read", () => {
    const summary = Object.fromEntries(
      crds.map((c) => [
        c.spec.names.kind,
        {
          shortNames: c.spec.names.shortNames,
          scope: c.spec.scope,
          columns: c.spec.versions[0]?.additionalPrinterColumns
            .filter((col) => !col.priority)
            .map((col) => col.name),
        },
      ]),
    );
    expect(summary).toEqual({
      MemberCluster: {
        shortNames: ["mc"],
        scope: "Cluster",
        columns: ["Region", "Reachable", "Version", "Age"],
      },
      FailoverPolicy: {
        shortNames: ["fp"],
        scope: "Namespaced",
        columns: ["Mode", "Failback", "Ready", "Age"],
      },
      RegionalApp: {
        shortNames: ["rapp"],
        scope: "Namespaced",
        columns: ["Primary", "Topology", "Ready", "Healthy", "Age"],
      },
      ReplicaPromotion: {
        shortNames: ["rp"],
        scope: "Namespaced",
        columns: ["App", "From", "To", "Phase", "RTO", "Age"],
      },
    });
  });
});

function unboundedString(s: WireSchema): boolean {
  return s.type === "string" && s.maxLength === undefined && s.enum === undefined && s.format !== "date-time";
}
