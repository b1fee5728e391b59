import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { RegionalAppStatus } from "../../src/api/types.generated.ts";
import { stateConfigMapName, stateKey } from "../../src/fencing/agent/state-store.ts";
import {
  abstainAnnotation,
  fencedEpochsAnnotation,
  regionLeaseName,
} from "../../src/fencing/region-lease.ts";
import { type AgentProcess, startAgent } from "../harness/agent-process.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { type CrashableProcess, startAgentCrashingAt } from "../harness/crash-process.ts";
import { FaultProxy } from "../harness/fault-proxy.ts";
import { sharedHub } from "../harness/hub-context.ts";
import {
  createObject,
  custom,
  deleteAllMemberClusters,
  installCrds,
  regionalApp,
  registerRegions,
} from "../harness/meridian.ts";
import { freePort } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { type PostgresPair, query, startPostgresPair } from "../harness/postgres.ts";
import { routeRegion } from "../harness/proxied-kubeconfig.ts";
import { kubeConfigFor } from "../harness/testbed.ts";
import { appsApi, deployment } from "../harness/workloads.ts";

// The hub is a cluster of its own; us-east and eu-west are members, each with an agent whose link
// to the hub crosses a FaultProxy. No operator runs: the test writes the RegionalApps' status (the
// assignments) itself, as the hub would, and reads the region Leases the agents hold.
const { region } = sharedTestbed();
const hub = sharedHub();
const east = region("us-east");
const west = region("eu-west");
const ns = useNamespace([hub, east, west], "agent");
const hubKc = kubeConfigFor(hub);

/** renewInterval 0.5 s, request timeout 1 s, renew deadline 4 s. */
const fast = { leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 };
/** Renew deadline 9 s (≥ 8 s): a promise can arrive before it, so the failsafe can hold. */
const failsafe = { leaseDurationSeconds: 12, renewDeadlineSeconds: 9, retryPeriodSeconds: 2 };

let clusters: Record<string, string> = {};
const proxies: FaultProxy[] = [];
const agents: AgentProcess[] = [];
const pairs: PostgresPair[] = [];

beforeAll(async () => {
  await installCrds(hub);
  // Voters are every MemberCluster the agents know: leftovers of earlier files would change the count.
  await deleteAllMemberClusters(hub);
  clusters = await registerRegions(hub, ns(), ns(), [east, west]);
  for (const [name, fencing] of Object.entries({ fast, failsafe })) {
    await createObject(
      hub,
      "failoverpolicies",
      { apiVersion: `${group}/${version}`, kind: "FailoverPolicy", metadata: { name }, spec: { fencing } },
      ns(),
    );
  }
});

afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop("SIGKILL");
  for (const p of proxies.splice(0)) await p.close();
});

afterAll(async () => {
  for (const pg of pairs) await pg.teardown();
  for (const name of Object.values(clusters)) {
    await custom(hub)
      .deleteClusterCustomObject({ group, version, plural: "memberclusters", name })
      .catch(() => undefined);
  }
});

/** An agent for `member` whose hub link crosses a FaultProxy of its own. */
async function agentFor(member: typeof east, peers: string[] = [], listenPort?: number, crashAt?: string) {
  const proxy = await FaultProxy.start(hub.server, { name: `agent ${member.name} → hub` });
  proxies.push(proxy);
  const port = listenPort ?? (await freePort());
  const settings = {
    cluster: clusters[member.name] as string,
    hub: routeRegion(hub, proxy),
    hubNamespace: ns(),
    stateNamespace: ns(),
    peers,
    listenPort: port,
  };
  const start = () => startAgent(member, settings);
  const agent = crashAt ? await startAgentCrashingAt(member, settings, crashAt) : await start();
  agents.push(agent);
  await pollUntil(`${member.name} agent ready`, 20_000, async () => {
    const r = await fetch(`http://127.0.0.1:${agent.metricsPort}/readyz`).catch(() => undefined);
    return r?.status === 200;
  });
  return { agent, proxy, start };
}

interface App {
  name: string;
  pg?: PostgresPair;
}

/** An app whose primary is us-east, with a Deployment of 2 in each region and optionally a real database. */
async function setUpApp(name: string, policy: string, withDatabase: boolean): Promise<App> {
  const pg = withDatabase ? await startPostgresPair() : undefined;
  if (pg) pairs.push(pg);
  for (const member of [east, west]) {
    await appsApi(member).createNamespacedDeployment({ namespace: ns(), body: deployment(name, ns(), 2) });
    if (pg) {
      const server = member === east ? pg.primary : pg.replica;
      await kubeConfigFor(member)
        .makeApiClient(CoreV1Api)
        .createNamespacedSecret({
          namespace: ns(),
          body: { metadata: { name: `pg-${name}` }, stringData: { uri: server.meridianUri } },
        });
    }
  }
  const body = regionalApp(name, ns(), policy, [
    { name: "us-east", clusterRef: clusters["us-east"] as string, workload: name },
    { name: "eu-west", clusterRef: clusters["eu-west"] as string, workload: name },
  ]);
  if (pg) {
    body.spec.database = { engine: "postgresql" };
    for (const r of body.spec.regions as { database?: object }[])
      r.database = { connectionSecretRef: { name: `pg-${name}` } };
  }
  await createObject(hub, "regionalapps", body, ns());
  await setStatus(name, { currentPrimary: "us-east", epoch: 1 });
  if (pg) expect(await appCanWrite(pg)).toBe(true);
  return { name, ...(pg ? { pg } : {}) };
}

/** Writes the app's status as the hub would (merge patch of the status subresource). */
async function setStatus(name: string, status: RegionalAppStatus): Promise<void> {
  await hubKc
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObjectStatus(
      { group, version, plural: "regionalapps", namespace: ns(), name, body: { status } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
}

async function replicas(app: App, member = east): Promise<number | undefined> {
  return (await appsApi(member).readNamespacedDeployment({ name: app.name, namespace: ns() })).spec?.replicas;
}

/** True when the application's role commits a write on the app's primary database. */
async function appCanWrite(pg: PostgresPair): Promise<boolean> {
  try {
    await query(pg.primary.appUri, "create table if not exists agent_probe (at timestamptz)");
    await query(pg.primary.appUri, "insert into agent_probe values (now())");
    return true;
  } catch {
    return false;
  }
}

/** Scaled to zero, and the database (if any) refuses the app's writes. */
const fenced = async (app: App) => (await replicas(app)) === 0 && !(app.pg && (await appCanWrite(app.pg)));

async function regionLease(member: typeof east) {
  return hubKc
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: regionLeaseName(clusters[member.name] as string), namespace: ns() });
}

/** Checks `check` over `ms`, failing as soon as it does not hold (the opposite of pollUntil). */
async function holdsFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await check())) throw new Error(`${what} stopped holding`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function appEvents(app: App, reason: string) {
  const events = await hubKc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns() });
  return events.items.filter((e) => e.regarding?.name === app.name && e.reason === reason);
}

const fencedMetric = (app: App) => `meridian_agent_fenced_total{app="${ns()}/${app.name}"}`;

describe("meridian agent holds its region Lease in the hub and fences its own region", () => {
  it("(a) renewing normally with a primary assigned: nothing fenced for 20 s, the Lease's resourceVersion keeps changing (workload only)", async () => {
    const app = await setUpApp("renewing", "fast", false);
    const { agent } = await agentFor(east);
    await pollUntil("the region Lease created", 10_000, () => regionLease(east));
    const versions = new Set<string>();
    await holdsFor("workload serving", 20_000, async () => {
      const rv = (await regionLease(east)).metadata?.resourceVersion;
      if (rv) versions.add(rv);
      return (await replicas(app)) === 2;
    });
    // Renewed every 0.5 s; read every 0.2 s or so: most renewals are seen.
    expect(versions.size).toBeGreaterThanOrEqual(15);
    const lease = await regionLease(east);
    expect(lease.metadata?.annotations?.[abstainAnnotation]).toBe("false");
    expect(await agent.metric(fencedMetric(app))).toBeUndefined();
    expect(await agent.metric("meridian_agent_abstaining")).toBe(0);
    expect((await agent.metric('meridian_agent_renewals_total{result="success"}')) ?? 0).toBeGreaterThan(30);
    expect(await appEvents(app, "RegionFenced")).toEqual([]);
    await setStatus(app.name, { currentPrimary: "eu-west" }); // not ours any more: later agents leave it
  });

  it("(b) agent→hub link blackholed, no peers: the primary's workload goes to 0 and its database is fenced within the renew deadline + margin", async () => {
    const app = await setUpApp("cutoff", "fast", true);
    const { agent, proxy } = await agentFor(east);
    await pollUntil(
      "a successful renewal",
      10_000,
      async () => (await agent.metric('meridian_agent_renewals_total{result="success"}')) ?? 0,
    );
    await pollUntil("the agent read the assignment", 10_000, () =>
      agent.logs.some((l) => l.app === `${ns()}/${app.name}` && l.reason === "LeaseRenewed"),
    );
    proxy.blackhole();
    const cutAt = Date.now();
    const deadlineMs = fast.renewDeadlineSeconds * 1000;
    await pollUntil("workload and database fenced", deadlineMs + 4000, () => fenced(app), 100);
    const took = Date.now() - cutAt;
    // The last successful renewal was sent at most one interval (+ its round trip) before the cut.
    expect(took).toBeGreaterThanOrEqual(deadlineMs - 1000);
    expect(await agent.metric(fencedMetric(app))).toBe(1);
    const fence = agent.logs.find((l) => l.msg === "region fenced" && l.app === `${ns()}/${app.name}`);
    expect(fence?.reason).toBe("RenewDeadlinePassed");
    expect(String(fence?.detail)).toMatch(/database .* fenced at epoch 1/);
    expect(JSON.stringify(agent.logs)).not.toContain(app.pg?.primary.meridianUri); // the password stays out
    await setStatus(app.name, { currentPrimary: "eu-west" });
  });

  it("(c) both agents lose the hub but reach each other, renew deadline 9 s: the failsafe holds for 2 × the lease, their Leases say abstain (workload only)", async () => {
    const app = await setUpApp("failsafe", "failsafe", false);
    const [eastPort, westPort] = [await freePort(), await freePort()];
    const url = (port: number) => `http://127.0.0.1:${port}`;
    const e = await agentFor(east, [url(westPort)], eastPort);
    const w = await agentFor(west, [url(eastPort)], westPort);
    for (const a of [e.agent, w.agent]) {
      await pollUntil(
        "renewing",
        10_000,
        async () => (await a.metric('meridian_agent_renewals_total{result="success"}')) ?? 0,
      );
    }
    e.proxy.blackhole();
    w.proxy.blackhole();
    await pollUntil(
      "the failsafe engages",
      failsafe.renewDeadlineSeconds * 1000 + 3000,
      async () => (await e.agent.metric("meridian_agent_failsafe_engaged")) === 1,
    );
    await holdsFor(
      "primary serving under the failsafe",
      2 * failsafe.leaseDurationSeconds * 1000,
      async () => (await replicas(app)) === 2,
    );
    expect(await e.agent.metric(fencedMetric(app))).toBeUndefined();
    expect(await w.agent.metric("meridian_agent_abstaining")).toBe(1);

    // West's link heals: bound by its promise, it renews abstaining, so the hub cannot count its vote.
    w.proxy.pass();
    const before = (await regionLease(west)).metadata?.resourceVersion;
    await pollUntil(
      "west renews again",
      10_000,
      async () => (await regionLease(west)).metadata?.resourceVersion !== before,
    );
    // Its promise binds it for a lease duration (12 s) after the last one it gave: it keeps abstaining.
    await holdsFor(
      "west abstains while bound by its promise",
      4000,
      async () => (await regionLease(west)).metadata?.annotations?.[abstainAnnotation] === "true",
    );
    // West reaches the hub now and promises no more: east's promise runs out and east fences.
    await pollUntil("east fences once no promise covers it", 2 * failsafe.leaseDurationSeconds * 1000, () =>
      fenced(app),
    );
    await pollUntil(
      "west votes again after its promise",
      2 * failsafe.leaseDurationSeconds * 1000,
      async () => (await regionLease(west)).metadata?.annotations?.[abstainAnnotation] === "false",
    );
    await setStatus(app.name, { currentPrimary: "eu-west" });
  });

  it("(d) a handover away from us-east in status.handover: fenced at once, the epoch acknowledged on the Lease", async () => {
    const app = await setUpApp("handover", "fast", true);
    const { agent } = await agentFor(east);
    await pollUntil("the agent read the assignment", 10_000, () =>
      agent.logs.some((l) => l.app === `${ns()}/${app.name}` && l.reason === "LeaseRenewed"),
    );
    await setStatus(app.name, {
      currentPrimary: "us-east",
      epoch: 1,
      handover: { from: "us-east", to: "eu-west", epoch: 2, promotionRef: "handover-1" },
    });
    const handedAt = Date.now();
    await pollUntil("workload and database fenced", 3000, () => fenced(app), 100);
    const lease = await pollUntil("the epoch acknowledged on the Lease", 3000, async () => {
      const l = await regionLease(east);
      const acks = JSON.parse(l.metadata?.annotations?.[fencedEpochsAnnotation] ?? "{}");
      return acks[`${ns()}/${app.name}`] === 2 ? l : undefined;
    });
    expect(Date.now() - handedAt).toBeLessThan(3000); // the deadline (4 s) cannot explain it
    expect(lease.metadata?.annotations?.[abstainAnnotation]).toBe("false");
    const event = await pollUntil(
      "RegionFenced Event on the RegionalApp",
      10_000,
      async () => (await appEvents(app, "RegionFenced"))[0],
    );
    expect(event.note).toMatch(/HandedOver: .*fenced at epoch 2/);
    // The promotion ends: the acknowledgement leaves the Lease with the handover.
    await setStatus(app.name, { currentPrimary: "eu-west", epoch: 2, handover: null as never });
    await pollUntil("acknowledgement removed", 5000, async () => {
      const l = await regionLease(east);
      return l.metadata?.annotations?.[fencedEpochsAnnotation] === "{}";
    });
  });

  it("(e) an agent SIGKILLed and restarted while its hub link is blackholed fences from its persisted state (workload only)", async () => {
    const app = await setUpApp("restart", "fast", false);
    const { agent, proxy, start } = await agentFor(east);
    const configMap = await pollUntil("assignments persisted in the member cluster", 10_000, async () => {
      const cm = await kubeConfigFor(east)
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({
          name: stateConfigMapName(clusters["us-east"] as string),
          namespace: ns(),
        });
      return cm.data?.[stateKey]?.includes(`"name":"${app.name}"`) ? cm : undefined;
    });
    expect(JSON.parse(configMap.data?.[stateKey] ?? "{}").members).toEqual(Object.values(clusters).sort());
    proxy.blackhole();
    await agent.stop("SIGKILL"); // long before its renew deadline: it cannot have fenced
    expect(await replicas(app)).toBe(2);
    const restarted = await start();
    agents.push(restarted);
    await pollUntil("workload fenced by the new process", fast.renewDeadlineSeconds * 1000 + 4000, () =>
      fenced(app),
    );
    expect(await restarted.metric(fencedMetric(app))).toBe(1);
    expect(restarted.logs.some((l) => l.msg === "persisted assignments loaded")).toBe(true);
    const fence = restarted.logs.find((l) => l.msg === "region fenced" && l.app === `${ns()}/${app.name}`);
    expect(fence?.reason).toBe("RenewDeadlinePassed");
  });
  it("(f) SIGKILLed between fencing a handover and acknowledging it (crash point agent.after-fence): the restarted agent acknowledges", async () => {
    const app = await setUpApp("handovercrash", "fast", true);
    const { agent, start } = await agentFor(east, [], undefined, "agent.after-fence");
    await pollUntil("the agent read the assignment", 10_000, () =>
      agent.logs.some((l) => l.app === `${ns()}/${app.name}` && l.reason === "LeaseRenewed"),
    );
    await setStatus(app.name, {
      currentPrimary: "us-east",
      epoch: 1,
      handover: { from: "us-east", to: "eu-west", epoch: 2, promotionRef: "handovercrash-1" },
    });
    await (agent as AgentProcess & CrashableProcess).crashed(10_000);
    expect(await fenced(app)).toBe(true);
    const acked = async () => {
      const l = await regionLease(east);
      return JSON.parse(l.metadata?.annotations?.[fencedEpochsAnnotation] ?? "{}")[`${ns()}/${app.name}`];
    };
    expect(await acked()).toBeUndefined(); // the crash came between the fence and its acknowledgement
    agents.push(await start());
    await pollUntil("the restarted agent acknowledges epoch 2", 10_000, async () => (await acked()) === 2);
    expect(await fenced(app)).toBe(true);
    await setStatus(app.name, { currentPrimary: "eu-west", epoch: 2, handover: null as never });
  });
});
