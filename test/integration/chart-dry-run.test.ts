import { randomBytes } from "node:crypto";
import {
  ApiextensionsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Pod,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type K8sObject, renderChart } from "../harness/helm.ts";
import { sharedHub } from "../harness/hub-context.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

// Every object the chart renders, with every option on, applied with a server-side dry run to a
// real API server, in a namespace that enforces the restricted Pod Security level.
const hub = sharedHub();
const kc = kubeConfigFor(hub);
const suffix = randomBytes(4).toString("hex");
const release = `chart-dry-${suffix}`;
const apps = `chart-dry-apps-${suffix}`;
const restricted = { "pod-security.kubernetes.io/enforce": "restricted" };

// Stand-ins for prometheus-operator's CRDs (not installed in the test bed): they accept any spec,
// so the dry run checks that the API server takes the objects, not prometheus-operator's schema.
const monitoringKinds = [
  { kind: "ServiceMonitor", plural: "servicemonitors" },
  { kind: "PrometheusRule", plural: "prometheusrules" },
];
const standInCrd = ({ kind, plural }: { kind: string; plural: string }) => ({
  metadata: { name: `${plural}.monitoring.coreos.com` },
  spec: {
    group: "monitoring.coreos.com",
    names: { kind, plural, listKind: `${kind}List`, singular: kind.toLowerCase() },
    scope: "Namespaced" as const,
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        },
      },
    ],
  },
});

beforeAll(async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: release, labels: restricted } } });
  await core.createNamespace({ body: { metadata: { name: apps, labels: restricted } } });
  await pollUntil("the default ServiceAccount", 60_000, () =>
    core.readNamespacedServiceAccount({ name: "default", namespace: release }),
  );
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const k of monitoringKinds) {
    await ext.createCustomResourceDefinition({ body: standInCrd(k) }).catch((err) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
    await pollUntil(`${k.kind} stand-in CRD established`, 30_000, async () => {
      const crd = await ext.readCustomResourceDefinition({ name: `${k.plural}.monitoring.coreos.com` });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    });
  }
});

afterAll(async () => {
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of [release, apps]) await core.deleteNamespace({ name }).catch(() => undefined);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  for (const k of monitoringKinds) {
    await ext
      .deleteCustomResourceDefinition({ name: `${k.plural}.monitoring.coreos.com` })
      .catch(() => undefined);
  }
});

const everyOption = {
  metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
};
const valueSets = [
  ["hub, defaults", {}],
  [
    "hub, every option",
    {
      ...everyOption,
      metrics: { ...everyOption.metrics, dashboard: { enabled: true } },
      agents: { clusters: ["us-east", "eu-west"] },
      operator: { replicas: 3, podAntiAffinity: "hard", rbac: { secretNamespaces: [apps] } },
    },
  ],
  ["member, defaults", { role: "member", agent: { cluster: "us-east" } }],
  [
    "member, every option",
    {
      ...everyOption,
      role: "member",
      agent: { cluster: "us-east", peers: ["http://agent.eu-west:8081"], secretNamespaces: [apps] },
    },
  ],
] as const;

/** The Pod a Deployment would create, as the restricted level judges it. */
const podOf = (deployment: K8sObject, name: string): V1Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: release },
  // The ServiceAccount is not created by a dry run; Pod Security does not look at it.
  spec: { ...deployment.spec.template.spec, serviceAccountName: "default" },
});

describe("the chart against a real API server (server-side dry run)", () => {
  it.each(valueSets)("%s: the API server accepts every object", async (_, values) => {
    const objects = await renderChart(values, { namespace: release });
    const api = KubernetesObjectApi.makeApiClient(kc);
    const refused: string[] = [];
    for (const o of objects) {
      await api
        .patch(o, undefined, "All", "meridian-chart-test", true, PatchStrategy.ServerSideApply)
        .catch((err: Error) => refused.push(`${o.kind} ${o.metadata.name}: ${err.message}`));
    }
    expect(refused).toEqual([]);
    expect(objects.length).toBeGreaterThan(8);
  });

  it.each(valueSets)("%s: its pods meet the restricted Pod Security level", async (_, values) => {
    const core = kc.makeApiClient(CoreV1Api);
    const deployments = (await renderChart(values, { namespace: release })).filter(
      (o) => o.kind === "Deployment",
    );
    expect(deployments).toHaveLength(1);
    for (const d of deployments) {
      await core.createNamespacedPod({
        namespace: release,
        body: podOf(d, `${d.metadata.name}-pod`),
        dryRun: "All",
      });
    }
  });

  it("the namespace does enforce restricted: a pod that may escalate is refused", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const [d] = (await renderChart({}, { namespace: release })).filter((o) => o.kind === "Deployment");
    const pod = podOf(d as K8sObject, "escalating");
    const container = pod.spec?.containers[0];
    if (container)
      container.securityContext = { ...container.securityContext, allowPrivilegeEscalation: true };
    await expect(core.createNamespacedPod({ namespace: release, body: pod, dryRun: "All" })).rejects.toThrow(
      /violates PodSecurity.*allowPrivilegeEscalation/,
    );
  });
});
