// npm run demo — a failover you can watch, on this machine, with real parts: two local regions
// (kwok control planes), a PostgreSQL primary in us-east streaming to a replica in eu-west, a BIND
// DNS server, and the Meridian operator. It breaks the primary region's workload and prints what
// Meridian sees and does, step by step, until DNS answers the new region. Ctrl-C stops it; the
// next run removes anything an interrupted run left behind.
import { resolve } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import type { RegionalApp, ReplicaPromotion } from "../src/api/types.generated.ts";
import { binariesDir } from "../test/harness/binaries.ts";
import { fastPolicy, hostname, promotionsOf, setUpFailoverApp } from "../test/harness/failover-setup.ts";
import { getApp } from "../test/harness/meridian.ts";
import { startOperator } from "../test/harness/operator-process.ts";
import { pollUntil } from "../test/harness/poll.ts";
import { kubeConfigFor, Testbed } from "../test/harness/testbed.ts";
import { scaleDeployment } from "../test/harness/workloads.ts";

const namespace = "shop";
const say = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)}  ${line}`);

const bed = new Testbed(await binariesDir(), resolve(import.meta.dirname, "../.testbed/demo"));
await bed.down();
say("starting two regions (local Kubernetes control planes): us-east, eu-west ...");
const hub = await bed.create("us-east");
const standby = await bed.create("eu-west");
for (const r of [hub, standby]) {
  await kubeConfigFor(r)
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } });
}
say("starting PostgreSQL (primary in us-east, streaming replica in eu-west) and a BIND DNS server ...");
const app = await setUpFailoverApp({ hub, primary: hub, standby }, namespace, fastPolicy());
const operator = await startOperator(hub, ["--namespace", namespace, "--probe-interval-seconds", "1"]);
say(`operator running; metrics on http://127.0.0.1:${operator.metricsPort}/metrics`);

const condition = (a: RegionalApp, type: string) => a.status?.conditions?.find((c) => c.type === type);
let last = "";
async function show(): Promise<{ app: RegionalApp; promotion?: ReplicaPromotion; dns: string[] }> {
  const a = await getApp(hub, namespace, "checkout");
  const [promotion] = await promotionsOf(hub, namespace, "checkout");
  const dns = await app.bind.dig(hostname, "A");
  const regions = (a.status?.regions ?? [])
    .map(
      (r) =>
        `${r.name}=${r.healthy === undefined ? "?" : r.healthy ? "healthy" : "UNHEALTHY"}${r.replicationLagBytes !== undefined ? ` (lag ${r.replicationLagBytes} B)` : ""}`,
    )
    .join("  ");
  const line = `primary=${a.status?.currentPrimary ?? "?"}  ${regions}  FailoverReady=${condition(a, "FailoverReady")?.status ?? "?"}  DNS ${hostname} -> ${dns.join(",") || "-"}${promotion ? `  promotion ${promotion.metadata?.name}: ${promotion.status?.phase ?? "Pending"}` : ""}`;
  if (line !== last) say(line);
  last = line;
  return { app: a, ...(promotion ? { promotion } : {}), dns };
}

await pollUntil(
  "the app ready to fail over",
  120_000,
  async () => condition((await show()).app, "FailoverReady")?.status === "True",
  500,
);
say(">>> breaking the primary region: scaling us-east's checkout Deployment to 0 replicas");
const brokeAt = Date.now();
await scaleDeployment(hub, namespace, "checkout", 0);
const end = await pollUntil(
  "the failover",
  180_000,
  async () => {
    const s = await show();
    return ["Succeeded", "Failed"].includes(s.promotion?.status?.phase ?? "") &&
      s.app.status?.currentPrimary !== "us-east"
      ? s
      : undefined;
  },
  200,
);
const p = end.promotion;
say(
  `<<< ${p?.status?.phase}: ${p?.status?.fromRegion} -> ${p?.spec.targetRegion}, epoch ${p?.status?.epoch}, ` +
    `${((Date.now() - brokeAt) / 1000).toFixed(1)} s from the break (detection included), promotion RTO ${p?.status?.rtoSeconds} s`,
);
for (const step of p?.status?.steps ?? [])
  say(`    ${step.name.padEnd(10)} ${step.startedAt ?? ""}  ${step.message ?? ""}`);
say(
  "inspect with: kubectl --kubeconfig .testbed/demo/clusters/meridian-us-east/kubeconfig.yaml get meridian -A",
);
say("stopping everything ...");
await operator.stop();
await app.teardown();
await bed.down();
