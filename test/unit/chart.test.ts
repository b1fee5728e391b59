import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Reason } from "../../src/api/reasons.ts";
import { chartDir, helm, type K8sObject, kubeVersion, renderChart, valuesFile } from "../harness/helm.ts";

// The chart rendered with helm itself: lint, the schema's refusals, and what each value set must
// (and must not) produce. The integration tests apply the same renderings to real API servers.
const member = { role: "member", agent: { cluster: "us-east", peers: ["http://agent.eu-west:8081"] } };
const everything = {
  agents: { clusters: ["us-east", "eu-west"] },
  operator: { rbac: { secretNamespaces: ["shop", "payments"] } },
  metrics: {
    serviceMonitor: { enabled: true },
    prometheusRule: { enabled: true },
    dashboard: { enabled: true },
  },
};
const memberEverything = {
  ...member,
  agent: { ...member.agent, secretNamespaces: ["shop"] },
  metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
};

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const one = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} rendered`);
  return found;
};
const rules = (objects: K8sObject[]) =>
  objects
    .filter((o) => o.kind === "ClusterRole" || o.kind === "Role")
    .flatMap((o) => (o.rules as Record<string, string[]>[]).map((r) => ({ owner: o, rule: r })));

/** Metric names registered in src/ (prom-client), the only ones alerts and panels may use. */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) {
        const text = readFileSync(path, "utf8");
        if (!text.includes("prom-client")) continue;
        for (const m of text.matchAll(/name: "([a-z_]+)"/g)) names.add(m[1] as string);
      }
    }
  };
  walk(resolve(import.meta.dirname, "../../src"));
  return names;
}
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\b((?:meridian|leader_election|controller_runtime|workqueue)_[a-z_]+)/g)].map((m) =>
    (m[1] as string).replace(/_(bucket|sum|count)$/, ""),
  );

describe("helm lint", () => {
  it.each([
    ["hub", {}],
    ["member", member],
    ["hub, every option", everything],
    ["member, every option", memberEverything],
  ])("%s passes --strict", async (_, values) => {
    const out = await helm(["lint", "--strict", chartDir, "-f", await valuesFile(values)]);
    expect(out).toContain("0 chart(s) failed");
  });
});

describe("values.schema.json", () => {
  it.each([
    [{ operator: { replica: 3 } }, "additional properties 'replica' not allowed"],
    [{ operator: { replicas: "two" } }, "got string, want integer"],
    [{ role: "spoke" }, "role"],
    [{ image: { tag: 1 } }, "got number, want string"],
    [{ operator: { rbac: { secretNamespaces: ["Bad_Name"] } } }, "secretNamespaces"],
    [{ metrics: { prometheusRule: { runbookBaseUrl: "docs/runbooks" } } }, "runbookBaseUrl"],
    [{ role: "member" }, "cluster"],
    [{ role: "member", agent: { cluster: "us-east", peers: ["agent.eu-west:8081"] } }, "peers"],
    [{ unknownTopLevel: true }, "additional properties 'unknownTopLevel' not allowed"],
  ])("rejects %j", async (values, message) => {
    await expect(renderChart(values)).rejects.toThrow(message);
  });

  it("rejects a renew deadline not below the lease duration, naming both", async () => {
    await expect(
      renderChart({ operator: { leaderElection: { leaseDurationSeconds: 5, renewDeadlineSeconds: 5 } } }),
    ).rejects.toThrow("renewDeadlineSeconds must be less than leaseDurationSeconds");
  });
});

describe("role hub", () => {
  it("renders the operator, its RBAC and the CRDs; nothing optional by default", async () => {
    const objects = await renderChart({});
    expect(new Set(objects.map((o) => o.kind))).toEqual(
      new Set([
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "PodDisruptionBudget",
        "Service",
      ]),
    );
    const deployment = one(objects, "Deployment", "meridian-operator");
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe("meridian-operator");
    expect(pod.containers[0].args).toEqual(
      expect.arrayContaining(["operator", "--namespace=meridian-system", "--metrics-port=8080"]),
    );
    const affinity = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    expect(affinity.podAffinityTerm.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(one(objects, "PodDisruptionBudget", "meridian-operator").spec).toMatchObject({
      minAvailable: 1,
      selector: { matchLabels: deployment.spec.selector.matchLabels },
    });
    expect(one(objects, "Service", "meridian-operator-metrics").spec.selector).toEqual(
      deployment.spec.selector.matchLabels,
    );
  });

  it("renders the same CRDs as crds/, kept on uninstall", async () => {
    const crds = ofKind(await renderChart({}), "CustomResourceDefinition");
    const dir = resolve(chartDir, "../../crds");
    const files = readdirSync(dir).map((f) => parse(readFileSync(join(dir, f), "utf8")) as K8sObject);
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(files.map((f) => f.metadata.name).sort());
    for (const crd of crds) {
      expect(crd.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
      expect(crd.spec).toEqual(files.find((f) => f.metadata.name === crd.metadata.name)?.spec);
    }
    expect(ofKind(await renderChart({ crds: { create: false } }), "CustomResourceDefinition")).toEqual([]);
  });

  it("hard anti-affinity and a single replica without a PDB", async () => {
    const objects = await renderChart({ operator: { replicas: 1, podAntiAffinity: "hard" } });
    const pod = one(objects, "Deployment", "meridian-operator").spec.template.spec;
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(ofKind(objects, "PodDisruptionBudget")).toEqual([]);
  });

  it("reads Secrets only in the release namespace and the listed ones, never cluster-wide", async () => {
    const objects = await renderChart(everything);
    const secretRules = rules(objects).filter(({ rule }) => rule.resources?.includes("secrets"));
    expect(secretRules.every(({ owner }) => owner.kind === "Role")).toBe(true);
    expect(secretRules.map(({ owner }) => owner.metadata.namespace).sort()).toEqual([
      "meridian-system",
      "payments",
      "shop",
    ]);
    expect(secretRules.map(({ rule }) => rule.verbs)).toEqual([["get"], ["get"], ["get"]]);
  });

  it("gives each member cluster's agent a hub identity that may write only its own region Lease", async () => {
    const objects = await renderChart(everything);
    for (const cluster of ["us-east", "eu-west"]) {
      one(objects, "ServiceAccount", `meridian-agent-${cluster}`);
      const role = one(objects, "Role", `meridian-agent-${cluster}-lease`);
      expect(role.rules).toEqual([
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        {
          apiGroups: ["coordination.k8s.io"],
          resources: ["leases"],
          resourceNames: [`meridian-region-${cluster}`],
          verbs: ["get", "update"],
        },
      ]);
      expect(one(objects, "RoleBinding", `meridian-agent-${cluster}-lease`).subjects).toEqual([
        { kind: "ServiceAccount", name: `meridian-agent-${cluster}`, namespace: "meridian-system" },
      ]);
    }
  });

  it("alerts: the issue's list, runbook pages named by reasons, only metrics src/ registers", async () => {
    const rule = one(await renderChart(everything), "PrometheusRule", "meridian-operator");
    const alerts = rule.spec.groups.flatMap((g: { rules: Record<string, never>[] }) => g.rules);
    expect(alerts.map((a: { alert: string }) => a.alert)).toEqual([
      "MeridianRegionUnhealthy",
      "MeridianReplicationLagHigh",
      "MeridianReplicationLagCritical",
      "MeridianFailoverNotReady",
      "MeridianPromotionFailed",
      "MeridianNoLeader",
    ]);
    expect(alerts.find((a: { alert: string }) => a.alert === "MeridianReplicationLagHigh").expr).toContain(
      "> 30",
    );
    expect(
      alerts.find((a: { alert: string }) => a.alert === "MeridianReplicationLagCritical").expr,
    ).toContain("> 300");
    const base = "https://github.com/meridian-dev/meridian/blob/main/docs/runbooks/";
    const metrics = registeredMetrics();
    for (const alert of alerts) {
      const url: string = alert.annotations.runbook_url;
      for (const metric of metricsIn(alert.expr)) expect(metrics, alert.alert).toContain(metric);
      if (alert.alert === "MeridianNoLeader") {
        // No condition reason covers it: the operations guide's alert table does.
        expect(url).toBe(
          "https://github.com/meridian-dev/meridian/blob/main/docs/operations.md#which-event-reasons-to-alert-on",
        );
        expect(readFileSync(resolve(chartDir, "../../docs/operations.md"), "utf8")).toContain(
          "## Which Event reasons to alert on",
        );
        continue;
      }
      expect(url.startsWith(base), url).toBe(true);
      const page = url.slice(base.length).replace(/\.md$/, "");
      // The FailoverReady alert links the page of the condition's current reason.
      expect([...Object.values(Reason), "{{ $labels.reason }}"]).toContain(page);
    }
  });

  it("dashboard: a ConfigMap for Grafana's sidecar, valid JSON, only metrics src/ registers", async () => {
    const cm = one(await renderChart(everything), "ConfigMap", "meridian-dashboard");
    expect(cm.metadata.labels?.grafana_dashboard).toBe("1");
    const dashboard = JSON.parse(cm.data["meridian.json"]);
    const metrics = registeredMetrics();
    const exprs = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
      p.targets.map((t) => t.expr),
    );
    expect(exprs.length).toBeGreaterThan(5);
    for (const expr of exprs) for (const metric of metricsIn(expr)) expect(metrics, expr).toContain(metric);
  });

  it("a ServiceMonitor on the metrics Service's port", async () => {
    const objects = await renderChart(everything);
    const monitor = one(objects, "ServiceMonitor", "meridian-operator");
    const service = one(objects, "Service", "meridian-operator-metrics");
    expect(monitor.spec.selector.matchLabels).toMatchObject({ "app.kubernetes.io/component": "operator" });
    expect(monitor.spec.endpoints[0].port).toBe(service.spec.ports[0].name);
  });
});

describe("role member", () => {
  it("renders the agent, its narrow RBAC and the hub's access identity; no CRDs, no operator", async () => {
    const objects = await renderChart(memberEverything);
    expect(ofKind(objects, "CustomResourceDefinition")).toEqual([]);
    expect(ofKind(objects, "Deployment").map((d) => d.metadata.name)).toEqual(["meridian-agent"]);
    const agent = one(objects, "Deployment", "meridian-agent");
    expect(agent.spec.replicas).toBe(1);
    expect(agent.spec.strategy).toEqual({ type: "Recreate" });
    expect(agent.spec.template.spec.containers[0].args).toEqual([
      "agent",
      "--cluster=us-east",
      "--hub-kubeconfig=/etc/meridian/hub/kubeconfig",
      "--hub-namespace=meridian-system",
      "--state-namespace=meridian-system",
      "--peer=http://agent.eu-west:8081",
      "--listen-port=8081",
      "--metrics-port=8080",
      "--check-interval-seconds=0.25",
      "--peer-timeout-seconds=1",
    ]);
    expect(one(objects, "Role", "meridian-agent-state").rules).toContainEqual({
      apiGroups: [""],
      resources: ["configmaps"],
      resourceNames: ["meridian-agent-us-east"],
      verbs: ["get", "update"],
    });
    expect(one(objects, "ClusterRole", "meridian-hub-access").rules).toEqual([
      {
        apiGroups: ["apps"],
        resources: ["deployments", "statefulsets"],
        verbs: ["get", "list", "watch", "patch"],
      },
    ]);
    const alerts = one(objects, "PrometheusRule", "meridian-agent").spec.groups[0].rules;
    expect(alerts.map((a: { alert: string }) => a.alert)).toEqual([
      "MeridianAgentLeaseNotRenewed",
      "MeridianAgentFailsafeEngaged",
    ]);
    const metrics = registeredMetrics();
    for (const alert of alerts) for (const m of metricsIn(alert.expr)) expect(metrics).toContain(m);
  });
});

describe("every rendering", () => {
  const renderings = [
    ["hub", {}],
    ["hub, every option", everything],
    ["member", member],
    ["member, every option", memberEverything],
  ] as const;

  it.each(renderings)("%s: RBAC without wildcards", async (_, values) => {
    for (const { owner, rule } of rules(await renderChart(values))) {
      for (const field of ["apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"]) {
        for (const value of rule[field] ?? [])
          expect(value, `${owner.metadata.name} ${field}`).not.toContain("*");
      }
    }
  });

  it.each(renderings)("%s: hardened pods with probes and resources", async (_, values) => {
    const deployments = ofKind(await renderChart(values), "Deployment");
    expect(deployments.length).toBe(1);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
        expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
        expect(c.image).toBe(
          `ghcr.io/meridian-dev/meridian:${parse(readFileSync(join(chartDir, "Chart.yaml"), "utf8")).appVersion}`,
        );
      }
    }
  });

  it("the chart needs a Kubernetes version helm is told about", async () => {
    expect(await kubeVersion()).toMatch(/^1\.(29|[3-9]\d)\./);
  });
});
