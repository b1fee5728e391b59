// npm run demo [-- --keep] — a failover you can watch, on this machine, with real parts: two local
// regions (kwok control planes), a PostgreSQL primary in us-east streaming to a replica in eu-west,
// a BIND DNS server, and the Meridian operator. It breaks the primary region's workload and prints
// what Meridian sees and does, step by step, until DNS answers the new region; `meridian status`
// (the CLI) shows the app before and after. With --keep it then returns us-east to standby duty
// and leaves everything running for `kubectl meridian` until Enter. The test bed lives in
// $MERIDIAN_TESTBED_DIR (default .testbed/demo); the next run removes anything an interrupted run
// left behind.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import type { RegionalApp, ReplicaPromotion } from "../src/api/types.generated.ts";
import { main as meridian } from "../src/cli/main.ts";
import { colorFor } from "../src/cli/style.ts";
import { binariesDir } from "../test/harness/binaries.ts";
import { fastPolicy, hostname, promotionsOf, setUpFailoverApp } from "../test/harness/failover-setup.ts";
import { getApp } from "../test/harness/meridian.ts";
import { startOperator } from "../test/harness/operator-process.ts";
import { pollUntil } from "../test/harness/poll.ts";
import { kubeConfigFor, Testbed } from "../test/harness/testbed.ts";
import { scaleDeployment } from "../test/harness/workloads.ts";

const keep = process.argv.includes("--keep");
const namespace = "shop";
const say = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)}  ${line}`);
const workdir = process.env.MERIDIAN_TESTBED_DIR ?? resolve(import.meta.dirname, "../.testbed/demo");

const bed = new Testbed(await binariesDir(), workdir);
await bed.down();
say("starting two regions (local Kubernetes control planes): us-east, eu-west ...");
const hub = await bed.create("us-east");
const standby = await bed.create("eu-west");
for (const r of [hub, standby]) {
  await kubeConfigFor(r)
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } });
}
// The hub's kubeconfig as a file, for the CLI here and for a person with --keep.
const kubeconfig = resolve(workdir, "hub-kubeconfig.yaml");
writeFileSync(kubeconfig, hub.kubeconfig);
say("starting PostgreSQL (primary in us-east, streaming replica in eu-west) and a BIND DNS server ...");
const app = await setUpFailoverApp({ hub, primary: hub, standby }, namespace, fastPolicy());
const operator = await startOperator(hub, ["--namespace", namespace, "--probe-interval-seconds", "1"]);
say(`operator running; metrics on http://127.0.0.1:${operator.metricsPort}/metrics`);

/** Runs the meridian CLI against the demo's hub, as a person would, printing what it prints. */
async function cli(...args: string[]): Promise<number> {
  say(`$ kubectl meridian ${args.join(" ")}`);
  return meridian([...args, "-n", namespace, "--kubeconfig", kubeconfig], console.log, console.error, {
    name: "kubectl meridian",
    color: colorFor(process.stdout),
  });
}

const condition = (a: RegionalApp, type: string) => a.status?.conditions?.find((c) => c.type === type);
let last = "";
/** One line whenever what Meridian reports changes: a compact ticker between the CLI's full views. */
async function tick(): Promise<{ app: RegionalApp; promotion?: ReplicaPromotion; dns: string[] }> {
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

const failoverReady = (timeoutMs: number) =>
  pollUntil(
    "the app ready to fail over",
    timeoutMs,
    async () => condition((await tick()).app, "FailoverReady")?.status === "True",
    500,
  );

await failoverReady(120_000);
await cli("status", "checkout");
say(">>> breaking the primary region: scaling us-east's checkout Deployment to 0 replicas");
const brokeAt = Date.now();
await scaleDeployment(hub, namespace, "checkout", 0);
const end = await pollUntil(
  "the failover",
  180_000,
  async () => {
    const s = await tick();
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
await cli("promotions", "checkout");
await cli("status", "checkout");

if (keep) {
  say("returning us-east to standby duty: its fenced database rebuilt as a replica of eu-west ...");
  await app.pg.rebuildAsReplica(app.pg.primary, app.pg.replica);
  await cli("unfence", "checkout", "--region", "us-east", "--yes");
  await failoverReady(120_000);
  await cli("status", "checkout");
  const plugin = resolve(import.meta.dirname, "bin");
  console.log(`
Everything keeps running. In another terminal:

  export PATH=${plugin}:$PATH        # kubectl finds the plugin kubectl-meridian there
  export KUBECONFIG=${kubeconfig}

  kubectl meridian status -n ${namespace}
  kubectl meridian status checkout -n ${namespace} --watch
  kubectl meridian switchover checkout -n ${namespace} --to us-east
  kubectl meridian promotions -n ${namespace}
  kubectl meridian drill checkout -n ${namespace}
  kubectl get regionalapps,replicapromotions -n ${namespace}

(without kubectl: node src/cli/main.ts status -n ${namespace} --kubeconfig ${kubeconfig})
`);
  // Enter stops and cleans up here. A signal ends the process at once (the PostgreSQL harness
  // removes its servers on the way out) and the next run removes the regions left behind.
  if (process.stdin.isTTY) {
    console.log("Press Enter to stop everything and clean up.");
    await new Promise((done) => process.stdin.once("data", done));
    process.stdin.pause();
  } else {
    await new Promise(() => {});
  }
}
say("stopping everything ...");
await operator.stop();
await app.teardown();
await bed.down();
