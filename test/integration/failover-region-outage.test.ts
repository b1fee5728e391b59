import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, startAgent } from "../harness/agent-process.ts";
import { sharedTestbed } from "../harness/context.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { endpoints, hostname, promotionFinished } from "../harness/failover-setup.ts";
import { getApp } from "../harness/meridian.ts";
import { freePort } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { query } from "../harness/postgres.ts";
import { isReady, kubeConfigFor } from "../harness/testbed.ts";

// The hub runs in ap-south, so losing us-east's control plane loses the primary region's API
// server, not the operator; us-east's agent and database keep running.
const { bed: testbed } = sharedTestbed();
const { primary, standby, ns, get } = useFailoverApp("outage", {
  hub: "ap-south",
  policy: { fencing: { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 } },
});
const agents: AgentProcess[] = [];

beforeAll(async () => {
  const hub = sharedTestbed().region("ap-south");
  // The agent reads its region's database Secret from its own cluster.
  await kubeConfigFor(primary)
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({
      namespace: ns(),
      body: { metadata: { name: "pg-us-east" }, stringData: { uri: get().bed.pg.primary.meridianUri } },
    });
  const ports = [await freePort(), await freePort()];
  const url = (port: number) => `http://127.0.0.1:${port}`;
  agents.push(
    await startAgent(primary, {
      cluster: `${ns()}-us-east`,
      hub,
      hubNamespace: ns(),
      stateNamespace: ns(),
      peers: [url(ports[1] as number)],
      listenPort: ports[0] as number,
    }),
  );
  agents.push(
    await startAgent(standby, {
      cluster: `${ns()}-eu-west`,
      hub,
      hubNamespace: ns(),
      stateNamespace: ns(),
      peers: [url(ports[0] as number)],
      listenPort: ports[1] as number,
    }),
  );
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  if (!(await isReady(primary))) await testbed.start(primary.name);
});

describe("losing the primary region's control plane", () => {
  it("its agent, still reaching the hub, fences the database on the handover; the hub promotes on its acknowledgement", async () => {
    const hub = sharedTestbed().region("ap-south");
    await pollUntil("FailoverReady", 30_000, async () => {
      const app = await getApp(hub, ns(), "checkout");
      return app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True";
    });
    await pollUntil("the primary's agent guards the app", 20_000, () =>
      agents[0]?.logs.some((l) => l.reason === "LeaseRenewed"),
    );

    const cutAt = Date.now();
    await testbed.stop(primary.name);
    const done = await promotionFinished(hub, ns(), "checkout", 90_000);
    expect(done.status?.phase, JSON.stringify(done.status?.steps)).toBe("Succeeded");
    const steps = Object.fromEntries((done.status?.steps ?? []).map((s) => [s.name, s]));
    // Invariant 2: the hub could not reach us-east's API server to fence it; us-east's agent (which
    // still reaches the hub) saw the handover, closed the database and acknowledged the epoch.
    expect(steps.Promoting?.message).toContain("agent fenced it at this epoch");
    // The hub still reaches the database: it read the fenced primary's final position for the lag guard.
    expect(done.status?.oldPrimaryLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    console.log(
      `[outage] region control plane stopped to failover done: ${((Date.now() - cutAt) / 1000).toFixed(1)} s`,
    );

    // The cut-off region's agent fenced its database on its own (the hub could not reach it).
    const allowed = await query<{ datallowconn: boolean }>(
      get().bed.pg.primary.meridianUri.replace(/\/appdb$/, "/postgres"),
      "select datallowconn from pg_database where datname = 'appdb'",
    );
    expect(allowed[0]?.datallowconn).toBe(false);
    expect(get().checker.splitBrainRounds()).toEqual([]);
    expect(await get().bed.bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
  });
});
