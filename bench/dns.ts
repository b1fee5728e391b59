// npm run bench:dns -- [--runs 20]
// How fast the rfc2136 provider reroutes: the time from the start of an apply until the
// authoritative server (a real BIND 9 on loopback, test/harness/bind.ts) answers with the new
// targets, as a separate query sees it. Prints a Markdown table for docs/benchmarks.md.
import { execFile } from "node:child_process";
import { cpus } from "node:os";
import { parseArgs, promisify } from "node:util";
import type { RecordChange } from "../src/dns/provider.ts";
import { Rfc2136Provider } from "../src/dns/rfc2136.ts";
import { sameTargets } from "../src/dns/targets.ts";
import { startBind } from "../test/harness/bind.ts";
import { pollUntil } from "../test/harness/poll.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" } } });
const runs = Number(values.runs);
const warmup = 3;
const zone = "bench.test";

/** A change and its way back, applied alternately so that every run really changes the records. */
interface Scenario {
  name: string;
  hostname: string;
  recordType: "A" | "AAAA";
  states: [string[], string[]];
}

const scenarios: Scenario[] = [
  {
    name: "ActivePassive: swap one A record",
    hostname: `app.${zone}`,
    recordType: "A",
    states: [["203.0.113.10"], ["198.51.100.10"]],
  },
  {
    name: "ActiveActive: one of three A records leaves / returns",
    hostname: `aa.${zone}`,
    recordType: "A",
    states: [
      ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
      ["192.0.2.1", "192.0.2.3"],
    ],
  },
  {
    name: "ActiveActive: 16 AAAA records, one leaves / returns (answers over TCP)",
    hostname: `big.${zone}`,
    recordType: "AAAA",
    states: [
      Array.from({ length: 16 }, (_, i) => `2001:db8::${i + 1}`),
      Array.from({ length: 15 }, (_, i) => `2001:db8::${i + 1}`),
    ],
  },
];

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const ms = (v: number) => v.toFixed(1);

const bind = await startBind({
  zones: [
    {
      name: zone,
      records: scenarios.flatMap((s) => s.states[0].map((t) => `${s.hostname}. 300 IN ${s.recordType} ${t}`)),
    },
  ],
});
try {
  const key = {
    name: bind.key.name,
    algorithm: "hmac-sha256" as const,
    secret: Buffer.from(bind.key.secret, "base64"),
  };
  const provider = new Rfc2136Provider({ server: bind.address, zone, key: async () => key });
  const rows: string[] = [];
  for (const s of scenarios) {
    const untilAnswer: number[] = [];
    const applyOnly: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const from = s.states[i % 2] as string[];
      const to = s.states[(i + 1) % 2] as string[];
      const change: RecordChange = {
        desired: { hostname: s.hostname, recordType: s.recordType, ttlSeconds: 30, targets: to },
        expectedCurrent: from,
        epoch: 1,
      };
      const started = performance.now();
      await provider.apply(change);
      const applied = performance.now();
      // An independent query: the authoritative answer as any resolver would get it now.
      await pollUntil(
        "the new targets",
        5000,
        async () => sameTargets(s.recordType, await provider.current(s.hostname, s.recordType), to),
        1,
      );
      const answered = performance.now();
      if (i < warmup) continue;
      applyOnly.push(applied - started);
      untilAnswer.push(answered - started);
    }
    untilAnswer.sort((a, b) => a - b);
    applyOnly.sort((a, b) => a - b);
    rows.push(
      `| ${s.name} | ${runs} | ${ms(quantile(untilAnswer, 0.5))} | ${ms(quantile(untilAnswer, 0.9))} | ${ms(untilAnswer[0] ?? 0)} | ${ms(untilAnswer.at(-1) ?? 0)} | ${ms(quantile(applyOnly, 0.5))} |`,
    );
  }
  const { stdout: named } = await promisify(execFile)("/usr/sbin/named", ["-v"]);
  console.log(
    `Measured ${new Date().toISOString().slice(0, 10)}: ${named.trim()} on 127.0.0.1, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}.`,
  );
  console.log("");
  console.log(
    "| change | runs | apply start → server answers new targets, median (ms) | p90 | min | max | apply alone, median (ms) |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
} finally {
  await bind.stop();
}
