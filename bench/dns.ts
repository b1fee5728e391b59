// npm run bench:dns -- [--runs 20] [--external-runs 10]
// How fast each DNS provider reroutes, in one run against one real BIND 9 (test/harness/bind.ts):
// the time from the start of an apply until a separate TSIG-signed query to the authoritative
// server answers the new targets.
//   - rfc2136: Meridian updates BIND itself (three record-set changes).
//   - dnsEndpoint: Meridian writes the DNSEndpoint in a hub (a kwok control plane) and the real
//     ExternalDNS v0.20.0 (hack/build-externaldns.sh; --source=crd --provider=rfc2136) publishes it
//     to BIND, once with its default --interval (1m) and once with --events.
// A failover arrives at a random moment of ExternalDNS's sync cycle, so each ExternalDNS run waits
// a random pause before its apply (uniform over the cycle), instead of applying right after the
// previous sync (which would always measure almost a full interval).
// Prints Markdown tables for docs/benchmarks.md and writes bench/results/dns.json.
import { resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { CoreV1Api } from "@kubernetes/client-node";
import { DnsEndpointProvider } from "../src/dns/dnsendpoint.ts";
import type { DnsProvider, RecordChange } from "../src/dns/provider.ts";
import { Rfc2136Provider } from "../src/dns/rfc2136.ts";
import { sameTargets } from "../src/dns/targets.ts";
import { binariesDir, externalDnsBinary } from "../test/harness/binaries.ts";
import { type BindServer, startBind } from "../test/harness/bind.ts";
import { installDnsEndpointCrd } from "../test/harness/externaldns.ts";
import { startExternalDns } from "../test/harness/externaldns-process.ts";
import { pollUntil } from "../test/harness/poll.ts";
import { kubeConfigFor, Testbed } from "../test/harness/testbed.ts";
import { loadAverage, machine, type Summary, summarize, writeResults } from "./summary.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    "external-runs": { type: "string", default: "10" },
  },
});
const runs = Number(values.runs);
const externalRuns = Number(values["external-runs"]);
// An even number of runs leaves the record where it started, for the next ExternalDNS mode.
if (externalRuns % 2 === 1) throw new Error("--external-runs must be even");
const warmup = 3;
const directZone = "bench.test";
const externalZone = "edns.test";
const pollMs = 10;

/** A change and its way back, applied alternately so that every run really changes the records. */
interface Scenario {
  name: string;
  hostname: string;
  recordType: "A" | "AAAA";
  states: [string[], string[]];
}

const swapOne: Scenario = {
  name: "ActivePassive: swap one A record",
  hostname: `app.${directZone}`,
  recordType: "A",
  states: [["203.0.113.10"], ["198.51.100.10"]],
};
const scenarios: Scenario[] = [
  swapOne,
  {
    name: "ActiveActive: one of three A records leaves / returns",
    hostname: `aa.${directZone}`,
    recordType: "A",
    states: [
      ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
      ["192.0.2.1", "192.0.2.3"],
    ],
  },
  {
    name: "ActiveActive: 16 AAAA records, one leaves / returns (answers over TCP)",
    hostname: `big.${directZone}`,
    recordType: "AAAA",
    states: [
      Array.from({ length: 16 }, (_, i) => `2001:db8::${i + 1}`),
      Array.from({ length: 15 }, (_, i) => `2001:db8::${i + 1}`),
    ],
  },
];

interface Row {
  path: string;
  change: string;
  untilAnswerMs: Summary;
  applyAloneMs: Summary;
  /** Load averages (1, 5, 15 min) before and after the runs of this row. */
  load: { before: [number, number, number]; after: [number, number, number] };
}

/** A signed query to the authoritative server, as any resolver would get the answer now. */
const signedReader = (bind: BindServer, zone: string) => {
  const key = {
    name: bind.key.name,
    algorithm: "hmac-sha256" as const,
    secret: Buffer.from(bind.key.secret, "base64"),
  };
  return new Rfc2136Provider({ server: bind.address, zone, key: async () => key });
};

/**
 * Applies the scenario's two states alternately `n` times (after `warm` unmeasured runs) through
 * `provider`, and times each until `reader` answers the new targets. `pause` runs before each apply.
 */
async function measure(
  path: string,
  s: Scenario,
  provider: DnsProvider,
  reader: DnsProvider,
  n: number,
  warm: number,
  opts: { epoch: { next: number }; pause?: () => Promise<void>; timeoutMs: number },
): Promise<Row> {
  const untilAnswer: number[] = [];
  const applyAlone: number[] = [];
  const before = loadAverage();
  for (let i = 0; i < warm + n; i++) {
    const from = s.states[i % 2] as string[];
    const to = s.states[(i + 1) % 2] as string[];
    const change: RecordChange = {
      desired: { hostname: s.hostname, recordType: s.recordType, ttlSeconds: 30, targets: to },
      expectedCurrent: from,
      epoch: opts.epoch.next++,
    };
    await opts.pause?.();
    const started = performance.now();
    await provider.apply(change);
    const applied = performance.now();
    await pollUntil(
      `${path}: ${s.hostname} answering ${to.join(",")}`,
      opts.timeoutMs,
      async () => sameTargets(s.recordType, await reader.current(s.hostname, s.recordType), to),
      pollMs,
    );
    const answered = performance.now();
    if (i < warm) continue;
    applyAlone.push(applied - started);
    untilAnswer.push(answered - started);
    process.stderr.write(
      `[bench:dns] ${path} run ${i - warm + 1}/${n}: ${(answered - started).toFixed(0)} ms\n`,
    );
  }
  return {
    path,
    change: s.name,
    untilAnswerMs: summarize(untilAnswer),
    applyAloneMs: summarize(applyAlone),
    load: { before, after: loadAverage() },
  };
}

const uniformPause = (maxMs: number) => () => delay(Math.random() * maxMs);

// ExternalDNS first: building it from a cold cache takes minutes and should fail the bench early.
const externalDns = await externalDnsBinary();
const bed = new Testbed(
  await binariesDir(),
  process.env.MERIDIAN_TESTBED_DIR ?? resolve(import.meta.dirname, "../.testbed/bench-dns"),
);
await bed.down();
const bind = await startBind({
  zones: [
    {
      name: directZone,
      records: scenarios.flatMap((s) => s.states[0].map((t) => `${s.hostname}. 300 IN ${s.recordType} ${t}`)),
    },
    { name: externalZone },
  ],
});
const rows: Row[] = [];
try {
  const epoch = { next: 1 };
  const direct = signedReader(bind, directZone);
  for (const s of scenarios) {
    rows.push(await measure("rfc2136", s, direct, direct, runs, warmup, { epoch, timeoutMs: 5000 }));
  }

  const hub = await bed.create("dns-hub");
  const namespace = "dns";
  await kubeConfigFor(hub)
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } });
  await installDnsEndpointCrd(hub);
  // The DNSEndpoint in a namespace of its own (spec.dns.provider.dnsEndpoint.namespace): no owner
  // reference, so no RegionalApp is needed for the garbage collector to leave it alone.
  const endpointProvider = new DnsEndpointProvider({
    kc: kubeConfigFor(hub),
    app: { name: "web", namespace: "apps", uid: "bench" },
    namespace,
  });
  const viaExternalDns: Scenario = { ...swapOne, hostname: `web.${externalZone}` };
  const reader = signedReader(bind, externalZone);
  await endpointProvider.apply({
    desired: {
      hostname: viaExternalDns.hostname,
      recordType: "A",
      ttlSeconds: 30,
      targets: swapOne.states[0],
    },
    expectedCurrent: [],
    epoch: epoch.next++,
  });
  const modes = [
    { label: "dnsEndpoint → ExternalDNS (default --interval 1m)", events: false, cycleMs: 60_000 },
    // --events syncs at most every --min-event-sync-interval (5 s) after a change.
    { label: "dnsEndpoint → ExternalDNS (--events)", events: true, cycleMs: 6000 },
  ];
  for (const mode of modes) {
    const edns = await startExternalDns({ hub, namespace, bind, zone: externalZone, events: mode.events });
    try {
      // Its first sync publishes the record as it stands (the state the runs start from).
      await pollUntil("ExternalDNS's first sync", 120_000, async () =>
        sameTargets("A", await reader.current(viaExternalDns.hostname, "A"), swapOne.states[0]),
      );
      rows.push(
        await measure(mode.label, viaExternalDns, endpointProvider, reader, externalRuns, 0, {
          epoch,
          pause: uniformPause(mode.cycleMs),
          timeoutMs: 3 * 60_000,
        }),
      );
    } catch (err) {
      console.error(edns.log().slice(-4000));
      throw err;
    } finally {
      await edns.stop();
    }
  }
} finally {
  await bind.stop();
  await bed.down();
}

const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const env = machine();
const measuredAt = new Date().toISOString();
const direct = rows[0] as Row;
console.log(
  `Measured ${measuredAt.slice(0, 16)}Z: ${env.bind} on 127.0.0.1, Node ${env.node}, ${env.cpus} × ${env.cpu}.`,
);
console.log("");
console.log(
  "| path | change | runs | apply start → BIND answers, median | p90 | min | max | vs rfc2136 (median) | apply alone, median | load avg (1 min) before → after |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const ratio =
    r.change === direct.change
      ? `${(r.untilAnswerMs.median / direct.untilAnswerMs.median).toFixed(0)}×`
      : "—";
  console.log(
    `| ${r.path} | ${r.change} | ${r.untilAnswerMs.runs} | ${fmt(r.untilAnswerMs.median)} | ${fmt(r.untilAnswerMs.p90)} | ${fmt(r.untilAnswerMs.min)} | ${fmt(r.untilAnswerMs.max)} | ${ratio} | ${fmt(r.applyAloneMs.median)} | ${r.load.before[0]} → ${r.load.after[0]} |`,
  );
}
console.log(`\nwrote ${writeResults("dns", { measuredAt, machine: env, externalDns, pollMs, rows })}`);
