import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customResourceDefinitions } from "../../src/api/crds.ts";
import { group, version } from "../../src/api/group.ts";
import { type AgentProcess, startAgent } from "../harness/agent-process.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import {
  endpoints,
  type FailoverBed,
  fastPolicy,
  hostname,
  promotionFinished,
  setUpFailoverApp,
} from "../harness/failover-setup.ts";
import { chartDir, helmIn, valuesFile } from "../harness/helm.ts";
import { sharedHub } from "../harness/hub-context.ts";
import { custom, deleteMemberClusters, getApp } from "../harness/meridian.ts";
import type { MeridianProcess } from "../harness/meridian-process.ts";
import { freePort, type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { asServiceAccount } from "../harness/service-account.ts";
import { createProbeTable, SplitBrainChecker } from "../harness/split-brain.ts";
import { kubeConfigFor, type Region } from "../harness/testbed.ts";

// The chart installed as a user would: role hub in the hub cluster, role member in us-east and
// eu-west, then upgraded. kwok runs no containers, so the operator and both agents run as local
// processes holding nothing but tokens of the chart's ServiceAccounts (TokenRequest API), and
// complete a switchover from Git. A permission the code needs and the chart lacks fails this file.
const hub = sharedHub();
const { region } = sharedTestbed();
const primary = region("us-east");
const standby = region("eu-west");
const members = [primary, standby];
const release = useNamespace([hub, ...members], "chart");
const apps = useNamespace([hub, ...members], "chartapp");
const cluster = (r: Region) => `${apps()}-${r.name}`;

let bed: FailoverBed | undefined;
let checker: SplitBrainChecker | undefined;
let operator: OperatorProcess | undefined;
const agents: AgentProcess[] = [];
const processes = (): MeridianProcess[] => [...(operator ? [operator] : []), ...agents];
let installed: Region[] = [];

/**
 * Other test files apply the CRDs from src/ without Helm; a user switching to the chart adopts
 * them the same way, by giving them the release's ownership metadata.
 */
async function adoptCrds(): Promise<void> {
  const ext = kubeConfigFor(hub).makeApiClient(ApiextensionsV1Api);
  for (const crd of customResourceDefinitions()) {
    await ext
      .patchCustomResourceDefinition(
        {
          name: crd.metadata.name,
          body: {
            metadata: {
              labels: { "app.kubernetes.io/managed-by": "Helm" },
              annotations: {
                "meta.helm.sh/release-name": "meridian",
                "meta.helm.sh/release-namespace": release(),
              },
            },
          },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      )
      .catch((err) => {
        if ((err as { code?: number }).code !== 404) throw err;
      });
  }
}

const hubValues = () => ({
  agents: { clusters: members.map(cluster) },
  operator: { rbac: { secretNamespaces: [apps()] } },
  metrics: { dashboard: { enabled: true } },
});
const memberValues = (r: Region, peers: string[]) => ({
  role: "member",
  agent: { cluster: cluster(r), hubNamespace: release(), peers, secretNamespaces: [apps()] },
});
const install = async (r: Region, values: object) =>
  helmIn(r, [
    "install",
    "meridian",
    chartDir,
    "-n",
    release(),
    "-f",
    await valuesFile(values),
    "--wait",
    "--timeout",
    "3m",
  ]);
const upgrade = async (r: Region, values: object) =>
  helmIn(r, [
    "upgrade",
    "meridian",
    chartDir,
    "-n",
    release(),
    "-f",
    await valuesFile(values),
    "--wait",
    "--timeout",
    "3m",
  ]);

beforeAll(async () => {
  await adoptCrds();
  const ports = [await freePort(), await freePort()] as [number, number];
  const peerOf = (i: number) => [`http://127.0.0.1:${ports[1 - i]}`];
  installed = [hub, ...members];
  await install(hub, hubValues());
  for (const [i, r] of members.entries()) await install(r, memberValues(r, peerOf(i)));
  // An upgrade changes something every role renders; the switchover below runs on the upgraded RBAC.
  await upgrade(hub, { ...hubValues(), logLevel: "debug" });
  for (const [i, r] of members.entries())
    await upgrade(r, { ...memberValues(r, peerOf(i)), logLevel: "debug" });

  // The identities the chart created, as the processes would hold them in their pods.
  const hubAccess = await Promise.all(
    members.map((r) => asServiceAccount(r, release(), "meridian-hub-access")),
  );
  // The default lease timings and slow health checks: under load the API servers answer slowly,
  // and a switchover waits for no expiry (the hub reaches us-east; its agent acknowledges the handover).
  const fencing = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };
  const healthCheck = { intervalSeconds: 5, timeoutSeconds: 4, failureThreshold: 5, successThreshold: 1 };
  bed = await setUpFailoverApp({ hub, primary, standby }, apps(), fastPolicy({ fencing, healthCheck }), {
    installCrds: false,
    memberAccess: hubAccess,
  });
  // Each agent reads its region's database Secret from its own cluster, in the workload's namespace.
  for (const [r, uri] of [
    [primary, bed.pg.primary.meridianUri],
    [standby, bed.pg.replica.meridianUri],
  ] as const) {
    await kubeConfigFor(r)
      .makeApiClient(CoreV1Api)
      .createNamespacedSecret({
        namespace: apps(),
        body: { metadata: { name: `pg-${r.name}` }, stringData: { uri } },
      });
  }
  await createProbeTable(bed.pg.primary.appUri);
  checker = new SplitBrainChecker([
    { region: "us-east", appUri: bed.pg.primary.appUri },
    { region: "eu-west", appUri: bed.pg.replica.appUri },
  ]);
  // The operator first: agents that start before the app's primary is recorded guard no primary,
  // and fence every writable database once their renew deadline passes without a renewal.
  operator = await startOperator(await asServiceAccount(hub, release(), "meridian-operator"), [
    "--namespace",
    release(),
    // Patient timings: this file checks permissions, not speed, and shares a loaded machine.
    ...["--probe-interval-seconds", "2", "--probe-timeout-seconds", "4"],
    ...["--lease-duration-seconds", "60", "--renew-deadline-seconds", "45"],
  ]);
  await pollUntil("the operator records us-east as the primary", 120_000, async () => {
    const app = await getApp(hub, apps(), "checkout");
    return app.status?.currentPrimary === "us-east" && app.status?.lastAppliedPrimaryRegion === "us-east";
  });
  for (const [i, r] of members.entries()) {
    agents.push(
      await startAgent(await asServiceAccount(r, release(), "meridian-agent"), {
        cluster: cluster(r),
        hub: await asServiceAccount(hub, release(), `meridian-agent-${cluster(r)}`),
        hubNamespace: release(),
        stateNamespace: release(),
        peers: peerOf(i),
        listenPort: ports[i] as number,
      }),
    );
  }
});

afterAll(async () => {
  await checker?.stop();
  for (const p of processes()) await p.stop();
  await deleteMemberClusters(hub, apps());
  await bed?.teardown();
  for (const r of installed)
    await helmIn(r, ["uninstall", "meridian", "-n", release()]).catch(() => undefined);
});

describe("the Helm chart", () => {
  it("installs and upgrades in the hub and both members", async () => {
    for (const r of [hub, ...members]) {
      const status = JSON.parse(await helmIn(r, ["status", "meridian", "-n", release(), "-o", "json"]));
      expect(status.info.status, r.name).toBe("deployed");
      expect(status.version, r.name).toBe(2);
    }
    const ext = kubeConfigFor(hub).makeApiClient(ApiextensionsV1Api);
    for (const crd of customResourceDefinitions()) {
      const live = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      expect(live.metadata?.annotations).toMatchObject({
        "helm.sh/resource-policy": "keep",
        "meta.helm.sh/release-name": "meridian",
      });
    }
  });

  it("the operator and the agents, holding only the chart's RBAC, complete a switchover from Git", async () => {
    await pollUntil("FailoverReady, us-east recorded", 180_000, async () => {
      const app = await getApp(hub, apps(), "checkout");
      return (
        app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True" &&
        app.status?.lastAppliedPrimaryRegion === "us-east"
      );
    }).catch(async (err) => {
      const app = await getApp(hub, apps(), "checkout");
      const warnings = processes().flatMap((p) =>
        p.logs.filter((l) => ["warn", "error", "fatal"].includes(String(l.level))),
      );
      throw new Error(
        `${err.message}\napp status: ${JSON.stringify(app.status)}\nwarnings: ${JSON.stringify(warnings.slice(-20))}`,
      );
    });
    await pollUntil("the primary's agent guards the app", 60_000, () =>
      agents[0]?.logs.some((l) => l.reason === "LeaseRenewed"),
    );

    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "regionalapps",
        namespace: apps(),
        name: "checkout",
        body: { spec: { primaryRegion: "eu-west" } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const done = await promotionFinished(hub, apps(), "checkout", 180_000);
    expect(done.spec.type).toBe("Switchover");
    const said = (operator?.logs ?? [])
      .filter((l) => l.level !== "debug" && l.level !== "trace")
      .slice(-25)
      .map((l) => JSON.stringify(l));
    expect(
      done.status?.phase,
      `${JSON.stringify(done.status?.steps)}\noperator said: ${said.join("\n")}`,
    ).toBe("Succeeded");
    expect(await bed?.bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
    const app = await pollUntil("the app records eu-west", 10_000, async () => {
      const a = await getApp(hub, apps(), "checkout");
      return a.status?.currentPrimary === "eu-west" ? a : undefined;
    });
    expect(app.status?.lastFailover).toMatchObject({ type: "Switchover", from: "us-east", to: "eu-west" });
    expect(checker?.splitBrainRounds()).toEqual([]);

    // What the agents did with their RBAC: region Leases in the hub, their state in their clusters,
    // and us-east's agent fenced its region on the handover and said so in an Event.
    const leases = await kubeConfigFor(hub)
      .makeApiClient(CoordinationV1Api)
      .listNamespacedLease({ namespace: release() });
    expect(leases.items.map((l) => l.metadata?.name)).toEqual(
      expect.arrayContaining(members.map((r) => `meridian-region-${cluster(r)}`)),
    );
    for (const r of members) {
      await kubeConfigFor(r)
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ name: `meridian-agent-${cluster(r)}`, namespace: release() });
    }
    const fenced = await pollUntil("us-east's agent records RegionFenced", 20_000, async () => {
      const events = await kubeConfigFor(hub)
        .makeApiClient(EventsV1Api)
        .listNamespacedEvent({ namespace: apps() });
      return events.items.find(
        (e) => e.reason === "RegionFenced" && e.reportingController === "meridian.dev/agent",
      );
    });
    expect(fenced.note).toContain(cluster(primary));

    // Nothing the code asked for was refused (some refusals are only logged, e.g. Events).
    const refusals = processes()
      .flatMap((p) => p.logs)
      .filter((l) => /forbidden|\b403\b/i.test(JSON.stringify(l)));
    expect(refusals).toEqual([]);
  });

  it("uninstalling the hub release keeps the CRDs (helm.sh/resource-policy: keep)", async () => {
    for (const p of processes()) await p.stop();
    await helmIn(hub, ["uninstall", "meridian", "-n", release(), "--wait"]);
    installed = installed.filter((r) => r !== hub);
    const ext = kubeConfigFor(hub).makeApiClient(ApiextensionsV1Api);
    for (const crd of customResourceDefinitions()) {
      await ext.readCustomResourceDefinition({ name: crd.metadata.name });
    }
    // ...and with them the objects.
    expect((await getApp(hub, apps(), "checkout")).status?.currentPrimary).toBe("eu-west");
  });
});
