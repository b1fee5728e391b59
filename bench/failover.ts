// npm run bench:failover -- [--runs 5] [--only a,b,c]
// End-to-end failover timings with real parts: a hub control plane of its own, two member regions
// (kwok control planes), a PostgreSQL primary in us-east streaming to a replica in eu-west, BIND
// updated by rfc2136, and the operator (one for the whole bench: it serves every namespace), all as
// separate processes. Each run gets a fresh namespace, database pair and BIND, so no run inherits
// another's state; (b) also gets one agent per region (the fence of a region whose control plane is
// gone is its agent's).
//   (a) the primary's workload fails (scaled to 0); its cluster stays reachable.
//   (b) the primary region's control plane is stopped (kwokctl stop); its database and agent live on.
//   (c) a planned switchover (spec.primaryRegion edited) under a writer inserting sequence numbers.
// Every run has the writer; it follows DNS as a client would (switches when BIND names eu-west).
// Per phase, from the promotion's own step timestamps: detect (break → promotion starts), fence
// (Pending + Fencing), promote, reroute, verify; total (break → Succeeded); and, independently,
// break → a TSIG-signed query to BIND answers eu-west. Prints Markdown, writes bench/results/failover.json.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { group, version } from "../src/api/group.ts";
import type { PromotionStep } from "../src/api/types.generated.ts";
import { Rfc2136Provider } from "../src/dns/rfc2136.ts";
import { expiryMs, timingOf } from "../src/fencing/protocol/timing.ts";
import { type AgentProcess, startAgent } from "../test/harness/agent-process.ts";
import { binariesDir } from "../test/harness/binaries.ts";
import {
  endpoints,
  type FailoverBed,
  fastPolicy,
  hostname,
  promotionFinished,
  promotionsOf,
  setUpFailoverApp,
  zone,
} from "../test/harness/failover-setup.ts";
import { custom, deleteMemberClusters, getApp } from "../test/harness/meridian.ts";
import { freePort, type OperatorProcess, startOperator } from "../test/harness/operator-process.ts";
import { createWritesTable, lostWrites, SequenceWriter } from "../test/harness/pg-writer.ts";
import { pollUntil } from "../test/harness/poll.ts";
import { isReady, kubeConfigFor, type Region, Testbed } from "../test/harness/testbed.ts";
import { scaleDeployment } from "../test/harness/workloads.ts";
import { loadAverage, machine, type Summary, summarize, writeResults } from "./summary.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    only: { type: "string", default: "a,b,c" },
    // Keep the control planes afterwards and reuse them next time (iterating on the bench itself).
    keep: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const only = new Set(values.only.split(","));
const policy = fastPolicy();
const detectionMs = policy.healthCheck.intervalSeconds * policy.healthCheck.failureThreshold * 1000;
const leaseExpiryMs = expiryMs(timingOf(policy.fencing));

type Scenario = "a" | "b" | "c";
const scenarioNames: Record<Scenario, string> = {
  a: "(a) primary workload fails, cluster reachable",
  b: "(b) primary region's control plane stopped",
  c: "(c) planned switchover under writes",
};
const goals: Record<Scenario, { ms: number; text: string }> = {
  a: { ms: detectionMs + 1000, text: `≤ detection (${detectionMs / 1000} s) + 1 s` },
  b: {
    ms: Math.max(detectionMs, leaseExpiryMs) + 1000,
    text: `≤ max(detection ${detectionMs / 1000} s, lease expiry ${leaseExpiryMs / 1000} s) + 1 s`,
  },
  c: { ms: Number.NaN, text: "writes refused < 1 s, 0 rows lost" },
};

interface Run {
  scenario: Scenario;
  run: number;
  ok: boolean;
  /** How long each phase took (ms); detect is from the break (or the edit) until the promotion started. */
  phases: Record<"detect" | "fence" | "promote" | "reroute" | "verify", number>;
  /** From the break to Succeeded. */
  totalMs: number;
  dnsAnswersMs: number;
  /** Between the last write us-east acknowledged and the first eu-west acknowledged. */
  writesRefusedMs: number;
  acknowledged: number;
  lostRows: number;
  load: [number, number, number];
  steps: PromotionStep[];
}

const bed = new Testbed(
  await binariesDir(),
  process.env.MERIDIAN_TESTBED_DIR ?? resolve(import.meta.dirname, "../.testbed/bench-failover"),
);
if (!values.keep) await bed.down();
const existing = await bed.regions();
const region = (name: string) => (existing.includes(name) ? bed.region(name) : bed.create(name));
const hub = await region("hub");
const primary = await region("us-east");
const standby = await region("eu-west");
const results: Run[] = [];
const failedRuns: { scenario: Scenario; run: number; error: string }[] = [];
// The operator's own namespace in the hub: its leader Lease and the agents' region Leases.
const operatorNamespace = "meridian-system";
await kubeConfigFor(hub)
  .makeApiClient(CoreV1Api)
  .createNamespace({ body: { metadata: { name: operatorNamespace } } })
  .catch(() => undefined); // kept from an earlier --keep run
// Starting a Node process takes tens of seconds on a loaded machine: once, not per run.
const operator: OperatorProcess = await startOperator(hub, [
  "--namespace",
  operatorNamespace,
  "--probe-interval-seconds",
  "1",
]);

/** One run in a fresh namespace: set up, wait until ready, break, measure, tear down. */
async function runOnce(scenario: Scenario, run: number): Promise<Run> {
  const ns = `bench-${scenario}${run}-${Date.now().toString(36)}`;
  for (const r of [hub, primary, standby]) {
    await kubeConfigFor(r)
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: ns } } });
  }
  let app: FailoverBed | undefined;
  const agents: AgentProcess[] = [];
  let writer: SequenceWriter | undefined;
  try {
    app = await setUpFailoverApp({ hub, primary, standby }, ns, policy);
    await createWritesTable(app.pg.primary.appUri);
    if (scenario === "b") agents.push(...(await startAgents(ns, app)));
    await pollUntil("FailoverReady, us-east recorded", 180_000, async () => {
      const a = await getApp(hub, ns, "checkout");
      return (
        a.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True" &&
        a.status?.lastAppliedPrimaryRegion === "us-east"
      );
    }).catch(async (err: Error) => {
      const a = await getApp(hub, ns, "checkout");
      const logs = operator.logs.slice(-15).map((l) => JSON.stringify(l));
      throw new Error(
        `${err.message}; app status: ${JSON.stringify(a.status?.conditions)}\n${logs?.join("\n")}`,
      );
    });
    if (scenario === "b") {
      await pollUntil("the primary's agent guards the app", 180_000, () =>
        agents[0]?.logs.some((l) => l.reason === "LeaseRenewed"),
      );
    }
    writer = new SequenceWriter({ region: "us-east", appUri: app.pg.primary.appUri });
    const w = writer;
    await pollUntil("writes flowing", 10_000, () => w.acknowledged.length > 20);

    const key = {
      name: app.bind.key.name,
      algorithm: "hmac-sha256" as const,
      secret: Buffer.from(app.bind.key.secret, "base64"),
    };
    const dns = new Rfc2136Provider({ server: app.bind.address, zone, key: async () => key });
    const load = loadAverage();
    const brokeAt = Date.now();
    if (scenario === "a") await scaleDeployment(primary, ns, "checkout", 0);
    else if (scenario === "b") await bed.stop(primary.name);
    else
      await custom(hub).patchNamespacedCustomObject(
        {
          group,
          version,
          plural: "regionalapps",
          namespace: ns,
          name: "checkout",
          body: { spec: { primaryRegion: "eu-west" } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    const pg = app.pg;
    await pollUntil(
      "BIND to answer eu-west",
      180_000,
      async () => (await dns.current(hostname, "A")).join() === endpoints["eu-west"],
      20,
    ).catch(async (err: Error) => {
      const a = await getApp(hub, ns, "checkout");
      const promotions = await promotionsOf(hub, ns, "checkout");
      const errors = operator.logs.filter((l) => l.level === "error" || l.level === 50).slice(-5);
      throw new Error(
        `${err.message}; app: ${JSON.stringify(a.status?.conditions?.map((c) => [c.type, c.status, c.message]))}; promotions: ${JSON.stringify(promotions.map((p) => p.status))}; operator errors: ${JSON.stringify(errors)}`,
      );
    });
    const dnsAnswersMs = Date.now() - brokeAt;
    writer.writeTo({ region: "eu-west", appUri: pg.replica.appUri });
    const done = await promotionFinished(hub, ns, "checkout", 120_000);
    await pollUntil("writes land in eu-west", 20_000, () => w.ackedIn("eu-west").length > 20);
    await writer.stop();
    const steps = done.status?.steps ?? [];
    const at = (name: string) => Date.parse(steps.find((s) => s.name === name)?.startedAt ?? "") - brokeAt;
    const end = Date.parse(steps.at(-1)?.startedAt ?? "") - brokeAt;
    // Pending (epoch allocation) counts toward fence: nothing else happens in it once approved.
    const phases = {
      detect: at("Pending"),
      fence: at("Promoting") - at("Pending"),
      promote: at("Rerouting") - at("Promoting"),
      reroute: at("Verifying") - at("Rerouting"),
      verify: end - at("Verifying"),
    };
    const oldAcks = writer.ackedIn("us-east");
    const newAcks = writer.ackedIn("eu-west");
    const lost = await lostWrites(writer.acknowledged, pg.replica.appUri);
    const result: Run = {
      scenario,
      run,
      ok: done.status?.phase === "Succeeded",
      phases,
      totalMs: end,
      dnsAnswersMs,
      writesRefusedMs: (newAcks[0]?.at ?? Number.NaN) - (oldAcks.at(-1)?.at ?? Number.NaN),
      acknowledged: writer.acknowledged.length,
      lostRows: lost.length,
      load,
      steps,
    };
    console.error(
      `[bench:failover] ${scenario}${run}: ${result.ok ? "Succeeded" : done.status?.phase} total ${end} ms, DNS ${dnsAnswersMs} ms, ` +
        `phases ${JSON.stringify(phases)}, refused ${result.writesRefusedMs} ms, lost ${lost.length}/${writer.acknowledged.length}, load ${load.join(" ")}`,
    );
    return result;
  } finally {
    await writer?.stop().catch(() => undefined);
    for (const a of agents) await a.stop();
    if (!(await isReady(primary))) await bed.start(primary.name);
    await deleteMemberClusters(hub, ns).catch(() => undefined);
    await app?.teardown();
    for (const r of [hub, primary, standby]) {
      await kubeConfigFor(r)
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: ns })
        .catch(() => undefined);
    }
  }
}

/** One agent per member region, each naming the other as its peer (as failover-region-outage.test.ts). */
async function startAgents(ns: string, app: FailoverBed): Promise<AgentProcess[]> {
  // The agent reads its region's database Secret from its own cluster.
  await kubeConfigFor(primary)
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "pg-us-east" }, stringData: { uri: app.pg.primary.meridianUri } },
    });
  const ports = [await freePort(), await freePort()] as [number, number];
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const agent = (member: Region, own: number, peer: number) =>
    startAgent(member, {
      cluster: `${ns}-${member.name}`,
      hub,
      hubNamespace: operatorNamespace,
      stateNamespace: ns,
      peers: [url(peer)],
      listenPort: own,
    });
  return [await agent(primary, ports[0], ports[1]), await agent(standby, ports[1], ports[0])];
}

// Round-robin over the scenarios, reporting after every run: on a loaded machine a bench cut short
// still has every scenario, and its JSON says how many runs each got.
try {
  for (let run = 1; run <= runs; run++) {
    for (const scenario of ["a", "b", "c"] as Scenario[]) {
      if (!only.has(scenario)) continue;
      try {
        results.push(await runOnce(scenario, run));
      } catch (err) {
        // One run lost to the machine's load is reported, not the end of the bench.
        failedRuns.push({ scenario, run, error: (err as Error).message.slice(0, 2000) });
        console.error(`[bench:failover] ${scenario}${run} FAILED: ${(err as Error).message}`);
      }
      report(run < runs);
    }
  }
} finally {
  await operator.stop();
  if (!values.keep) await bed.down();
}

function report(partial: boolean): void {
  const s = (v: number) => (v / 1000).toFixed(2);
  const cell = (x: Summary) => `${s(x.min)} / ${s(x.median)} / ${s(x.max)}`;
  const env = machine();
  const measuredAt = new Date().toISOString();
  console.log(
    `Measured ${measuredAt.slice(0, 16)}Z, ${env.cpus} × ${env.cpu}, Node ${env.node}; policy interval ${policy.healthCheck.intervalSeconds} s × failureThreshold ${policy.healthCheck.failureThreshold}, lease ${policy.fencing.leaseDurationSeconds} s (expiry wait ${leaseExpiryMs / 1000} s). Seconds from the break, min / median / max.`,
  );
  console.log("");
  console.log(
    "| scenario | runs ok | detect | fence | promote | reroute | verify | total (→ Succeeded) | BIND answers eu-west | goal | writes refused (median) | rows lost | load avg 1 min |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  const summaries: Record<string, unknown> = {};
  for (const scenario of ["a", "b", "c"] as Scenario[]) {
    const rs = results.filter((r) => r.scenario === scenario);
    if (rs.length === 0) continue;
    const of = (f: (r: Run) => number) => summarize(rs.map(f));
    const row = {
      detect: of((r) => r.phases.detect),
      fence: of((r) => r.phases.fence),
      promote: of((r) => r.phases.promote),
      reroute: of((r) => r.phases.reroute),
      verify: of((r) => r.phases.verify),
      total: of((r) => r.totalMs),
      dnsAnswers: of((r) => r.dnsAnswersMs),
      writesRefused: of((r) => r.writesRefusedMs),
      lostRows: rs.reduce((n, r) => n + r.lostRows, 0),
      goal: goals[scenario],
    };
    summaries[scenario] = row;
    const loads = rs.map((r) => r.load[0]);
    console.log(
      `| ${scenarioNames[scenario]} | ${rs.filter((r) => r.ok).length}/${rs.length} | ${cell(row.detect)} | ${cell(row.fence)} | ${cell(row.promote)} | ${cell(row.reroute)} | ${cell(row.verify)} | ${cell(row.total)} | ${cell(row.dnsAnswers)} | ${goals[scenario].text} | ${s(row.writesRefused.median)} s | ${row.lostRows} of ${rs.reduce((n, r) => n + r.acknowledged, 0)} | ${Math.min(...loads)}–${Math.max(...loads)} |`,
    );
  }
  console.log(
    `\nwrote ${writeResults("failover", { measuredAt, partial, failedRuns, machine: env, policy, detectionMs, leaseExpiryMs, summaries, runs: results })}`,
  );
}
