// npm run bench:scale -- [--apps 1000]
// One operator process, N RegionalApps over three real regions (kwok control planes). Measures
// peak RSS, time from start until every app has a full status, reconcile latency, probe traffic
// per interval and status writes once steady. Prints a Markdown table for docs/benchmarks.md.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { group, version } from "../src/api/group.ts";
import type { RegionalApp } from "../src/api/types.generated.ts";
import { binariesDir } from "../test/harness/binaries.ts";
import {
  createObject,
  createPolicy,
  installCrds,
  regionalApp,
  registerRegions,
} from "../test/harness/meridian.ts";
import { startOperator } from "../test/harness/operator-process.ts";
import { pollUntil } from "../test/harness/poll.ts";
import { kubeConfigFor, type Region, Testbed } from "../test/harness/testbed.ts";
import { appsApi, deployment } from "../test/harness/workloads.ts";

const { values } = parseArgs({ options: { apps: { type: "string", default: "1000" } } });
const apps = Number(values.apps);
const intervalSeconds = 2;
const ns = "bench";

/** Runs `fn` over items with at most `n` in flight. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** Approximate quantile from a Prometheus histogram's cumulative buckets. */
function quantile(metrics: string, name: string, labels: string, q: number): number {
  const buckets = metrics
    .split("\n")
    .filter((l) => l.startsWith(`${name}_bucket{`) && l.includes(labels))
    .map((l) => ({
      le: Number(/le="([^"]+)"/.exec(l)?.[1]?.replace("+Inf", "Infinity")),
      count: Number(l.split(" ").at(-1)),
    }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  return buckets.find((b) => b.count >= q * total)?.le ?? Number.NaN;
}

function sum(metrics: string, prefix: string): number {
  return metrics
    .split("\n")
    .filter((l) => l.startsWith(prefix))
    .reduce((acc, l) => acc + Number(l.split(" ").at(-1)), 0);
}

const bed = new Testbed(await binariesDir(), resolve(import.meta.dirname, "../.testbed/bench"));
await bed.down();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void bed.down().finally(() => process.exit(130)));
}
try {
  const regions: Region[] = [];
  for (const name of ["us-east", "eu-west", "ap-south"]) regions.push(await bed.create(name));
  const hub = regions[0] as Region;
  await installCrds(hub);
  for (const r of regions)
    await kubeConfigFor(r)
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: ns } } });
  const clusters = await registerRegions(hub, ns, "bench", regions);
  const names = Array.from({ length: apps }, (_, i) => `app-${String(i).padStart(4, "0")}`);
  console.error(`creating ${apps} Deployments in each of ${regions.length} regions ...`);
  for (const r of regions) {
    await pool(names, 32, (name) =>
      appsApi(r).createNamespacedDeployment({ namespace: ns, body: deployment(name, ns, 1) }),
    );
  }
  await createPolicy(hub, ns, "standard", {
    intervalSeconds,
    timeoutSeconds: 1,
    failureThreshold: 3,
    successThreshold: 2,
  });
  console.error(`creating ${apps} RegionalApps ...`);
  await pool(names, 32, (name) => {
    const appRegions = regions.map((r) => ({
      name: r.name,
      clusterRef: clusters[r.name] as string,
      workload: name,
    }));
    return createObject(hub, "regionalapps", regionalApp(name, ns, "standard", appRegions), ns);
  });

  // The operator is timed from a settled world: kwok rolling out thousands of pods on this
  // machine would otherwise be what the number measures.
  console.error("waiting for every Deployment to be available ...");
  for (const r of regions) {
    await pollUntil(
      `Deployments available in ${r.name}`,
      30 * 60_000,
      async () => {
        const list = await appsApi(r).listNamespacedDeployment({ namespace: ns });
        return list.items.filter((d) => d.status?.availableReplicas === 1).length === apps;
      },
      2000,
    );
  }
  console.error("starting the operator ...");
  const started = performance.now();
  const operator = await startOperator(
    hub,
    ["--namespace", ns, "--probe-interval-seconds", String(intervalSeconds)],
    {
      // As the image runs it (Dockerfile): a bounded heap, info logs.
      NODE_OPTIONS: "--max-old-space-size=192",
      LOG_LEVEL: "info",
    },
  );
  const custom = kubeConfigFor(hub).makeApiClient(CustomObjectsApi);
  const listApps = async () =>
    (await custom.listNamespacedCustomObject({ group, version, plural: "regionalapps", namespace: ns })) as {
      items: RegionalApp[];
      metadata: { resourceVersion: string };
    };
  const full = `${regions.length}/${regions.length}`;
  const fullStatus = async () =>
    (await listApps()).items.filter((a) => a.status?.healthyRegions === full).length;
  await pollUntil("every app fully reported", 15 * 60_000, async () => (await fullStatus()) === apps, 1000);
  const firstFull = (performance.now() - started) / 1000;

  // Steady state: count probes and status writes over a window of 10 intervals.
  const before = await operator.metrics();
  const windowStart = performance.now();
  const rvBefore = (await listApps()).metadata.resourceVersion;
  await new Promise((r) => setTimeout(r, 10 * intervalSeconds * 1000)); // the measurement window
  const after = await operator.metrics();
  const windowIntervals = (performance.now() - windowStart) / 1000 / intervalSeconds;
  const list = await listApps();
  const rewritten = list.items.filter((a) => Number(a.metadata?.resourceVersion) > Number(rvBefore)).length;
  const probes =
    (sum(after, "meridian_probe_duration_seconds_count") -
      sum(before, "meridian_probe_duration_seconds_count")) /
    windowIntervals;
  const reconciles =
    (sum(after, 'controller_runtime_reconcile_total{controller="regionalapp"') -
      sum(before, 'controller_runtime_reconcile_total{controller="regionalapp"')) /
    windowIntervals;
  const status = readFileSync(`/proc/${operator.proc.pid}/status`, "utf8");
  const peakRss = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
  const p50 = quantile(after, "controller_runtime_reconcile_time_seconds", 'controller="regionalapp"', 0.5);
  const p99 = quantile(after, "controller_runtime_reconcile_time_seconds", 'controller="regionalapp"', 0.99);
  await operator.stop();

  console.log(
    `| RegionalApps | ${apps} over ${regions.length} regions (${apps * regions.length} Deployments) |`,
  );
  console.log("|---|---|");
  console.log(`| peak RSS (VmHWM) | ${peakRss.toFixed(0)} MiB (RSS at end ${rss.toFixed(0)} MiB) |`);
  console.log(`| start to every app's full status | ${firstFull.toFixed(1)} s |`);
  console.log(
    `| reconcile latency p50 / p99 (histogram bucket bounds) | ≤ ${p50 * 1000} ms / ≤ ${p99 * 1000} ms |`,
  );
  console.log(
    `| member-cluster probes per ${intervalSeconds} s interval | ${probes.toFixed(1)} (clusters: ${regions.length}) |`,
  );
  console.log(`| RegionalApp reconciles per interval, steady | ${reconciles.toFixed(0)} |`);
  console.log(
    `| RegionalApps whose status was rewritten in a ${windowIntervals.toFixed(0)}-interval steady window | ${rewritten} |`,
  );
} finally {
  await bed.down();
}
