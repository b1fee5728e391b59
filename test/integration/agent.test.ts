import { setTimeout as delay } from "node:timers/promises";
import { CoordinationV1Api, CoreV1Api, EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaseName, writeFencingLease } from "../../src/fencing/lease.ts";
import { type AgentProcess, type HubLink, startAgent, startHubLink } from "../harness/agent-process.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { freePort } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { type PostgresPair, query, startPostgresPair } from "../harness/postgres.ts";
import { isReady, kubeConfigFor } from "../harness/testbed.ts";
import { appsApi, deployment } from "../harness/workloads.ts";

// us-east is the primary region, eu-west its peer, and ap-south's API server plays the hub; the
// test writes the fencing Leases itself, as the hub would.
const { bed, region } = sharedTestbed();
const primary = region("us-east");
const peer = region("eu-west");
const hub = region("ap-south");
const ns = useNamespace([primary, peer], "agent");
const member = kubeConfigFor(primary);
const leaseDurationSeconds = 3;
const renewDeadlineSeconds = 2;

let primaryAgent: AgentProcess;
let peerAgent: AgentProcess;
/** The peer's path to the hub; the primary agent probes the hub directly. */
let peerHubLink: HubLink;
const pairs: PostgresPair[] = [];

beforeAll(async () => {
  const [primaryPort, peerPort] = [await freePort(), await freePort()];
  peerHubLink = await startHubLink(hub.server);
  const url = (port: number) => `http://127.0.0.1:${port}`;
  primaryAgent = await startAgent(primary, {
    region: "us-east",
    hubUrl: hub.server,
    peers: [url(peerPort)],
    listenPort: primaryPort,
  });
  peerAgent = await startAgent(peer, {
    region: "eu-west",
    hubUrl: peerHubLink.url,
    peers: [url(primaryPort)],
    listenPort: peerPort,
  });
  for (const agent of [primaryAgent, peerAgent]) {
    await pollUntil("agent reaches the hub", 20_000, async () => (await agent.metric(reachableMetric)) === 1);
  }
});

afterAll(async () => {
  await primaryAgent?.stop();
  await peerAgent?.stop();
  await peerHubLink?.close();
  for (const pg of pairs) await pg.teardown();
  // Leave the hub region running for the test files after this one.
  if (!(await isReady(hub))) await bed.start(hub.name);
});

const reachableMetric = "meridian_agent_hub_reachable";
const fencedMetric = (app: string) => `meridian_agent_fenced_total{app="${app}"}`;

/** An app in us-east: a Deployment of 2 and its own PostgreSQL primary, named on its Lease. */
interface App {
  name: string;
  pg: PostgresPair;
  annotations: Parameters<typeof writeFencingLease>[6];
}

async function setUpApp(name: string, renewDeadline = renewDeadlineSeconds): Promise<App> {
  const pg = await startPostgresPair();
  pairs.push(pg);
  await appsApi(primary).createNamespacedDeployment({ namespace: ns(), body: deployment(name, ns(), 2) });
  await member.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: ns(),
    body: { metadata: { name: `pg-${name}` }, stringData: { uri: pg.primary.meridianUri } },
  });
  expect(await appCanWrite(pg)).toBe(true);
  return {
    name,
    pg,
    annotations: {
      workload: { kind: "Deployment", namespace: ns(), name },
      databaseSecret: `pg-${name}`,
      renewDeadlineSeconds: renewDeadline,
    },
  };
}

/** The hub's renewal: the Lease held by `holder` at `epoch`, renewed now. */
function renew(app: App, holder: string, epoch: number): Promise<void> {
  const ref = { namespace: ns(), app: app.name };
  return writeFencingLease(member, ref, holder, epoch, leaseDurationSeconds, Date.now(), app.annotations);
}

/** Renews every 500 ms, well within the renew deadline, until stopped. */
function keepRenewing(app: App, epoch: number): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await renew(app, "us-east", epoch);
      await delay(500);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function replicas(app: App): Promise<number | undefined> {
  const d = await appsApi(primary).readNamespacedDeployment({ name: app.name, namespace: ns() });
  return d.spec?.replicas;
}

/** True when the application's role commits a write on the app's primary. */
async function appCanWrite(pg: PostgresPair): Promise<boolean> {
  try {
    await query(pg.primary.appUri, "create table if not exists agent_probe (at timestamptz)");
    await query(pg.primary.appUri, "insert into agent_probe values (now())");
    return true;
  } catch {
    return false;
  }
}

const fenced = async (app: App) => (await replicas(app)) === 0 && !(await appCanWrite(app.pg));
const serving = async (app: App) => (await replicas(app)) === 2 && (await appCanWrite(app.pg));

/** Checks `check` over `ms`, failing as soon as it does not hold (the opposite of pollUntil). */
async function holdsFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await check())) throw new Error(`${what} stopped holding`);
    await delay(200);
  }
}

/** Waits for the first Event of `reason` about the app's Lease. */
function firstEvent(app: App, reason: string) {
  return pollUntil(`${reason} event on the Lease`, 10_000, async () => (await leaseEvents(app, reason))[0]);
}

async function leaseEvents(app: App, reason: string) {
  const events = await member.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns() });
  return events.items.filter((e) => e.regarding?.name === leaseName(app.name) && e.reason === reason);
}

describe("meridian agent fences its own region", () => {
  it("(a) leaves a renewed Lease's region serving over several renew deadlines", async () => {
    const app = await setUpApp("renewed");
    const renewer = keepRenewing(app, 1);
    try {
      await holdsFor("workload and database serving", 3 * renewDeadlineSeconds * 1000, () => serving(app));
    } finally {
      await renewer.stop();
    }
    expect(await primaryAgent.metric(fencedMetric(app.name))).toBeUndefined();
    expect(await leaseEvents(app, "RegionFenced")).toEqual([]);
    // Nothing renews it from here on: remove it so it does not lapse under the later cases.
    await member.makeApiClient(CoordinationV1Api).deleteNamespacedLease({
      name: leaseName(app.name),
      namespace: ns(),
    });
  });

  it("(b) fences workload and database when renewals stop while the hub is reachable", async () => {
    const app = await setUpApp("lapsed");
    await renew(app, "us-east", 1);
    const renewedAt = Date.now();
    await pollUntil("workload and database fenced", renewDeadlineSeconds * 1000 + 5000, () => fenced(app));
    const took = Date.now() - renewedAt;
    expect(took).toBeGreaterThanOrEqual(renewDeadlineSeconds * 1000);
    expect(took).toBeLessThan(renewDeadlineSeconds * 1000 + 5000);
    expect(await primaryAgent.metric(fencedMetric(app.name))).toBe(1);
    const event = await firstEvent(app, "RegionFenced");
    expect(event?.note).toMatch(/^HubReachable: /);
    expect(event?.note).not.toContain(app.pg.primary.meridianUri); // the password stays out
  });

  it("(d) fences at once when the hub hands the Lease to another region at a newer epoch", async () => {
    const app = await setUpApp("handover", 60); // a lapse cannot explain a fence within a minute
    const renewer = keepRenewing(app, 1);
    await pollUntil("the agent saw us-east hold the Lease", 10_000, () =>
      primaryAgent.logs.some(
        (l) => l.lease === `${ns()}/${leaseName(app.name)}` && l.reason === "LeaseRenewed",
      ),
    );
    await renewer.stop();
    await renew(app, "eu-west", 2);
    const handedAt = Date.now();
    await pollUntil("workload and database fenced", 5000, () => fenced(app));
    expect(Date.now() - handedAt).toBeLessThan(5000);
    const event = await firstEvent(app, "RegionFenced");
    expect(event?.note).toMatch(/^HandedOver: .*fenced at epoch 2/);
  });

  it("(c) keeps the primary serving while every agent finds the hub down, fences once a peer reaches it", async () => {
    const app = await setUpApp("failsafe");
    await bed.stop(hub.name);
    for (const agent of [primaryAgent, peerAgent]) {
      await pollUntil(
        "agent finds the hub down",
        20_000,
        async () => (await agent.metric(reachableMetric)) === 0,
      );
    }
    await renew(app, "us-east", 1);
    await firstEvent(app, "FailsafeKeepsPrimary");
    await holdsFor("primary serving under the failsafe", 2 * renewDeadlineSeconds * 1000, () => serving(app));
    expect(await primaryAgent.metric(fencedMetric(app.name))).toBeUndefined();

    // The partition heals for the peer only: it reaches "the hub" again, the primary still does not.
    peerHubLink.retarget(peer.server);
    await pollUntil("workload and database fenced", 10_000, () => fenced(app));
    expect(await primaryAgent.metric(reachableMetric)).toBe(0);
    const event = await firstEvent(app, "RegionFenced");
    expect(event?.note).toMatch(/^PeerReachesHub: /);
  });
});
