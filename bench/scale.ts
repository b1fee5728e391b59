// npm run bench:scale -- [--apps 1000,5000] [--workloads 1000] [--postgres-every 10] [--quiet-seconds 60]
// The hub in a kwok cluster of its own, three member regions with `workloads` Deployments each,
// one real PostgreSQL pair (us-east primary, eu-west replica; ap-south's Secret names the
// replica too), and RegionalApps over all three regions (every `postgres-every`-th one with the
// postgresql engine, so replication lag is measured; the rest `none`). For each app count a fresh
// operator process is started as the image runs it and measured: start-up to every app's full
// status, then a quiet minute (observation age sampled every second, API writes and reads counted
// by the API servers themselves, CPU), peak RSS over the whole run, and a heap snapshot.
// Prints Markdown for docs/benchmarks.md and writes bench/results/scale.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { group, version } from "../src/api/group.ts";
import type { RegionalApp } from "../src/api/types.generated.ts";
import { binariesDir } from "../test/harness/binaries.ts";
import { installDnsEndpointCrd } from "../test/harness/externaldns.ts";
import {
  createObject,
  createPolicy,
  installCrds,
  regionalApp,
  registerRegions,
} from "../test/harness/meridian.ts";
import { startOperator } from "../test/harness/operator-process.ts";
import { pollUntil } from "../test/harness/poll.ts";
import { type PostgresPair, startPostgresPair } from "../test/harness/postgres.ts";
import { kubeConfigFor, type Region, Testbed } from "../test/harness/testbed.ts";
import { appsApi, deployment } from "../test/harness/workloads.ts";
import {
  addBuckets,
  apiRequests,
  buckets,
  cpuSecondsOf,
  heapSnapshotSummary,
  loadAverage,
  memoryOf,
  quantile,
  requestRates,
  total,
} from "./measure.ts";

const { values } = parseArgs({
  options: {
    apps: { type: "string", default: "1000,5000" },
    workloads: { type: "string", default: "1000" },
    "postgres-every": { type: "string", default: "10" },
    "quiet-seconds": { type: "string", default: "60" },
    "heap-snapshot-apps": { type: "string", default: "1000" },
    out: { type: "string", default: resolve(import.meta.dirname, "results/scale.json") },
    // For repeated runs: --keep leaves the test bed (and PostgreSQL) running, --reuse measures on it.
    keep: { type: "boolean", default: false },
    reuse: { type: "boolean", default: false },
  },
});
const appCounts = (values.apps ?? "").split(",").map(Number);
const workloads = Number(values.workloads);
const postgresEvery = Number(values["postgres-every"]);
const quietSeconds = Number(values["quiet-seconds"]);
const intervalSeconds = 2;
const ns = "bench";
const memberNames = ["us-east", "eu-west", "ap-south"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over items with at most `n` in flight. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const appName = (i: number) => `app-${String(i).padStart(5, "0")}`;
const workloadName = (i: number) => `w-${String(i % workloads).padStart(5, "0")}`;

function appObject(i: number, clusters: Record<string, string>) {
  const regions = memberNames.map((r) => ({
    name: r,
    clusterRef: clusters[r] as string,
    workload: workloadName(i),
  }));
  const app = regionalApp(appName(i), ns, "standard", regions) as ReturnType<typeof regionalApp> & {
    spec: { regions: Record<string, unknown>[]; database: { engine: string } };
  };
  if (i % postgresEvery === 0) {
    app.spec.database = { engine: "postgresql" };
    for (const r of app.spec.regions) r.database = { connectionSecretRef: { name: `pg-${r.name}` } };
  }
  return app;
}

const bed = new Testbed(
  await binariesDir(),
  process.env.MERIDIAN_TESTBED_DIR ?? resolve(import.meta.dirname, "../.testbed/bench"),
);
let pg: PostgresPair | undefined;
const teardown = async () => {
  if (values.keep) return;
  await pg?.teardown();
  await bed.down();
};
if (!values.reuse) await bed.down();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void teardown().finally(() => process.exit(130)));
}

const loadSamples: number[][] = [];
const loadTimer = setInterval(() => loadSamples.push(loadAverage()), 10_000);
loadTimer.unref();

// The operator runs compiled, as the image runs it: Node's TypeScript stripping costs memory.
const root = resolve(import.meta.dirname, "..");
console.error("building dist/ ...");
execFileSync(process.execPath, [
  resolve(root, "node_modules/typescript/bin/tsc"),
  "-p",
  resolve(root, "tsconfig.build.json"),
]);
const main = resolve(root, "dist/cli/main.js");

/** The hub, the member regions and the MemberCluster of each: a new test bed, or the one --keep left. */
async function setUp(): Promise<{ hub: Region; members: Region[]; clusters: Record<string, string> }> {
  if (values.reuse) {
    const members = await Promise.all(memberNames.map((name) => bed.region(name)));
    const hub = await bed.region("hub");
    await connectionSecrets(hub, true);
    return { hub, members, clusters: Object.fromEntries(memberNames.map((r) => [r, `bench-${r}`])) };
  }
  const setupStarted = performance.now();
  const members: Region[] = [];
  for (const name of memberNames) members.push(await bed.create(name));
  const hub = await bed.create("hub");
  await installCrds(hub);
  await installDnsEndpointCrd(hub); // the apps' DNS provider is dnsEndpoint
  for (const r of [hub, ...members])
    await kubeConfigFor(r)
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: ns } } });
  const clusters = await registerRegions(hub, ns, "bench", members);
  await connectionSecrets(hub, false);
  await createPolicy(hub, ns, "standard", {
    intervalSeconds,
    timeoutSeconds: 1,
    failureThreshold: 3,
    successThreshold: 2,
  });
  const workloadNames = Array.from({ length: workloads }, (_, i) => workloadName(i));
  console.error(`creating ${workloads} Deployments in each of ${members.length} regions ...`);
  for (const r of members) {
    await pool(workloadNames, 32, (name) =>
      appsApi(r).createNamespacedDeployment({ namespace: ns, body: deployment(name, ns, 1) }),
    );
  }
  // The operator is timed from a settled world: kwok rolling out thousands of pods on this
  // machine would otherwise be what the numbers measure.
  console.error("waiting for every Deployment to be available ...");
  for (const r of members) {
    await pollUntil(
      `Deployments available in ${r.name}`,
      30 * 60_000,
      async () => {
        const list = await appsApi(r).listNamespacedDeployment({ namespace: ns });
        return list.items.filter((d) => d.status?.availableReplicas === 1).length === workloads;
      },
      5000,
    );
  }
  console.error(`test bed ready in ${((performance.now() - setupStarted) / 1000).toFixed(0)} s`);
  return { hub, members, clusters };
}

/** A new PostgreSQL pair, and each region's connection Secret naming it (replaced when `replace`). */
async function connectionSecrets(hub: Region, replace: boolean): Promise<void> {
  pg = await startPostgresPair({ primary: "us-east", replica: "eu-west" });
  const uris: Record<string, string> = {
    "us-east": pg.primary.meridianUri,
    "eu-west": pg.replica.meridianUri,
    "ap-south": pg.replica.meridianUri,
  };
  const core = kubeConfigFor(hub).makeApiClient(CoreV1Api);
  for (const [region, uri] of Object.entries(uris)) {
    const name = `pg-${region}`;
    if (replace) await core.deleteNamespacedSecret({ name, namespace: ns }).catch(() => undefined);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: { uri } } });
  }
}

try {
  const { hub, members, clusters } = await setUp();

  const custom = kubeConfigFor(hub).makeApiClient(CustomObjectsApi);
  const full = `${members.length}/${members.length}`;
  const fullyReported = async () => {
    const list = (await custom.listNamespacedCustomObject({
      group,
      version,
      plural: "regionalapps",
      namespace: ns,
    })) as { items: RegionalApp[] };
    return list.items.filter((a) => a.status?.healthyRegions === full).length;
  };

  const results: Record<string, unknown>[] = [];
  let created = values.reuse
    ? (
        (await custom.listNamespacedCustomObject({
          group,
          version,
          plural: "regionalapps",
          namespace: ns,
        })) as {
          items: unknown[];
        }
      ).items.length
    : 0;
  for (const apps of appCounts) {
    console.error(`creating RegionalApps ${created} .. ${apps - 1} ...`);
    const indexes = Array.from({ length: apps - created }, (_, k) => created + k);
    await pool(indexes, 32, (i) => createObject(hub, "regionalapps", appObject(i, clusters), ns));
    created = apps;

    const diagnostics = mkdtempSync(join(tmpdir(), "meridian-bench-heap-"));
    console.error(`starting the operator for ${apps} apps ...`);
    const started = performance.now();
    const operator = await startOperator(
      hub,
      ["--namespace", ns, "--probe-interval-seconds", String(intervalSeconds)],
      {
        // As the image runs it (Dockerfile): a bounded heap, info logs.
        NODE_OPTIONS: `--max-old-space-size=192 --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${diagnostics}`,
        LOG_LEVEL: "info",
      },
      main,
    );
    const pid = operator.proc.pid as number;
    let exited = false;
    operator.proc.once("exit", () => {
      exited = true;
    });
    const result: Record<string, unknown> = {
      apps,
      postgresApps: Math.ceil(apps / postgresEvery),
      workloadsPerRegion: workloads,
    };
    results.push(result);
    try {
      await pollUntil(
        `every one of ${apps} apps reporting ${full} healthy regions`,
        20 * 60_000,
        async () => {
          if (exited)
            throw new Error(
              `the operator exited (code ${operator.proc.exitCode}, signal ${operator.proc.signalCode})`,
            );
          return (await fullyReported()) === apps;
        },
        3000,
      );
      result.startupToFullStatusSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
      console.error(
        `every app fully reported after ${result.startupToFullStatusSeconds} s; quiet minute ...`,
      );
      await sleep(2 * intervalSeconds * 1000); // the last status writes of the start-up settle

      const metricsBefore = await operator.metrics();
      const apiBefore = await Promise.all([hub, ...members].map(apiRequests));
      const cpuBefore = cpuSecondsOf(pid);
      const loadBefore = loadAverage();
      const quietStart = performance.now();
      let ages = new Map<number, number>();
      let maxAge = 0;
      let rssMin = Number.POSITIVE_INFINITY;
      let samples = 0;
      while (performance.now() - quietStart < quietSeconds * 1000) {
        const tick = performance.now();
        const text = await operator.metrics();
        ages = addBuckets(ages, buckets(text, "meridian_observation_age_seconds"));
        maxAge = Math.max(
          maxAge,
          Number(/^meridian_observation_age_max_seconds (\S+)/m.exec(text)?.[1] ?? 0),
        );
        rssMin = Math.min(rssMin, memoryOf(pid).rssMiB);
        samples++;
        await sleep(Math.max(0, 1000 - (performance.now() - tick)));
      }
      const seconds = (performance.now() - quietStart) / 1000;
      const apiAfter = await Promise.all([hub, ...members].map(apiRequests));
      const cpuAfter = cpuSecondsOf(pid);
      const metricsAfter = await operator.metrics();
      const lease = (k: string) => k.endsWith(" leases");
      const hubRates = requestRates(
        apiBefore[0] as Map<string, number>,
        apiAfter[0] as Map<string, number>,
        seconds,
      );
      const memberRates = members.map((m, k) => ({
        region: m.name,
        ...requestRates(
          apiBefore[k + 1] as Map<string, number>,
          apiAfter[k + 1] as Map<string, number>,
          seconds,
        ),
      }));
      const reconcileBuckets = (text: string) =>
        buckets(text, "controller_runtime_reconcile_time_seconds_bucket", 'controller="regionalapp"');
      const reconciles = addBuckets(reconcileBuckets(metricsAfter), reconcileBuckets(metricsBefore), -1);
      const { peakRssMiB, rssMiB } = memoryOf(pid);
      Object.assign(result, {
        loadAverageAtQuietMinute: { before: loadBefore, after: loadAverage() },
        peakRssMiB: Number(peakRssMiB.toFixed(0)),
        rssAtEndMiB: Number(rssMiB.toFixed(0)),
        rssMinDuringQuietMinuteMiB: Number(rssMin.toFixed(0)),
        observationAgeSeconds: {
          p50: quantile(ages, 0.5),
          p99: quantile(ages, 0.99),
          max: Number(maxAge.toFixed(2)),
          samples,
          note: "bucket upper bounds; max is the largest meridian_observation_age_max_seconds seen",
        },
        quietMinuteSeconds: Number(seconds.toFixed(1)),
        hubWritesPerSecond: {
          total: total(hubRates.writes),
          besidesLeases: total(hubRates.writes, lease),
          byVerbAndResource: hubRates.writes,
        },
        hubReadsPerSecond: { total: total(hubRates.reads), byVerbAndResource: hubRates.reads },
        memberWritesPerSecond: memberRates.map((m) => ({
          region: m.region,
          total: total(m.writes),
          besidesLeases: total(m.writes, lease),
          byVerbAndResource: m.writes,
        })),
        memberReadsPerSecond: memberRates.map((m) => ({
          region: m.region,
          total: total(m.reads),
          byVerbAndResource: m.reads,
        })),
        reconcilesPerSecond: Number(((reconciles.get(Number.POSITIVE_INFINITY) ?? 0) / seconds).toFixed(1)),
        reconcileLatencySeconds: { p50: quantile(reconciles, 0.5), p99: quantile(reconciles, 0.99) },
        cpuSecondsPerMinute: Number((((cpuAfter - cpuBefore) / seconds) * 60).toFixed(1)),
      });
      if (String(apps) === values["heap-snapshot-apps"]) {
        process.kill(pid, "SIGUSR2");
        result.heapSnapshot = await heapSnapshotSummary(diagnostics, 5 * 60_000);
      }
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
      if (!exited) Object.assign(result, { peakRssMiB: Number(memoryOf(pid).peakRssMiB.toFixed(0)) });
      console.error(`run with ${apps} apps failed: ${result.error}`);
    } finally {
      await operator.stop();
      const logFile = join(diagnostics, "operator-logs.jsonl");
      writeFileSync(logFile, operator.logs.map((l) => JSON.stringify(l)).join("\n"));
      result.operatorLogs = {
        file: logFile,
        warnings: operator.logs.filter((l) => Number(l.level) >= 40).length,
      };
    }
    console.error(JSON.stringify(result, null, 2));
    // After every run, so a later run that hangs or is interrupted loses nothing measured so far.
    const report = {
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      intervalSeconds,
      loadAverageEvery10s: loadSamples,
      runs: results,
    };
    mkdirSync(resolve(values.out as string, ".."), { recursive: true });
    writeFileSync(values.out as string, `${JSON.stringify(report, null, 2)}\n`);
  }
  for (const r of results) console.log(markdownRow(r));
} finally {
  clearInterval(loadTimer);
  await teardown();
}

/** One line per run for the table in docs/benchmarks.md. */
function markdownRow(r: Record<string, unknown>): string {
  const age = r.observationAgeSeconds as { p50: number; p99: number; max: number } | undefined;
  const hub = r.hubWritesPerSecond as { besidesLeases: number; total: number } | undefined;
  const members = r.memberWritesPerSecond as { besidesLeases: number }[] | undefined;
  const lat = r.reconcileLatencySeconds as { p50: number; p99: number } | undefined;
  return [
    "",
    r.apps,
    `${r.peakRssMiB} MiB`,
    `${r.startupToFullStatusSeconds} s`,
    age ? `≤ ${age.p50} / ≤ ${age.p99} / ${age.max} s` : "—",
    hub ? `${hub.besidesLeases} (${hub.total} with Leases)` : "—",
    members ? members.map((m) => m.besidesLeases).join(" / ") : "—",
    lat ? `≤ ${lat.p50 * 1000} / ≤ ${lat.p99 * 1000} ms` : "—",
    `${r.cpuSecondsPerMinute}`,
    r.error ? `error: ${r.error}` : "",
    "",
  ]
    .join(" | ")
    .trim();
}
