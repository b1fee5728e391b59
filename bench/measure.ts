// What bench/scale.ts measures outside the operator: its process (RSS, CPU), the API servers'
// own request counters, and heap snapshots. Nothing here asks the operator to report on itself
// except its /metrics.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { get, type RequestOptions } from "node:https";
import { loadavg } from "node:os";
import { join } from "node:path";
import { kubeConfigFor, type Region } from "../test/harness/testbed.ts";

/** VmHWM (peak RSS over the process's life) and VmRSS, MiB. */
export function memoryOf(pid: number): { peakRssMiB: number; rssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return { peakRssMiB: kb("VmHWM") / 1024, rssMiB: kb("VmRSS") / 1024 };
}

/** User + system CPU seconds the process has used so far. */
export function cpuSecondsOf(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th overall.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / 100; // USER_HZ is 100 on Linux
}

export function loadAverage(): number[] {
  return loadavg().map((l) => Number(l.toFixed(2)));
}

/** apiserver_request_total of one API server, summed by verb and resource. */
export async function apiRequests(region: Region): Promise<Map<string, number>> {
  const opts: RequestOptions = {};
  await kubeConfigFor(region).applyToHTTPSOptions(opts);
  const text = await new Promise<string>((resolve, reject) => {
    get(`${region.server}/metrics`, opts, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve(body));
      res.on("error", reject);
    }).on("error", reject);
  });
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const verb = /verb="([^"]*)"/.exec(line)?.[1] ?? "";
    const resource = /resource="([^"]*)"/.exec(line)?.[1] || "(non-resource)";
    const key = `${verb} ${resource}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.split(" ").at(-1)));
  }
  return counts;
}

const writeVerbs = new Set(["POST", "PUT", "PATCH", "DELETE", "APPLY", "DELETECOLLECTION"]);
const readVerbs = new Set(["GET", "LIST", "WATCH"]);

/** Requests per second between two counter snapshots, split into writes and reads by resource. */
export function requestRates(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: number,
): { writes: Record<string, number>; reads: Record<string, number> } {
  const writes: Record<string, number> = {};
  const reads: Record<string, number> = {};
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta <= 0) continue;
    const [verb = "", resource = ""] = key.split(" ");
    const into = writeVerbs.has(verb) ? writes : readVerbs.has(verb) ? reads : undefined;
    if (into) into[`${verb} ${resource}`] = Number((delta / seconds).toFixed(3));
  }
  return { writes, reads };
}

export function total(rates: Record<string, number>, except: (key: string) => boolean = () => false): number {
  return Number(
    Object.entries(rates)
      .filter(([k]) => !except(k))
      .reduce((a, [, v]) => a + v, 0)
      .toFixed(3),
  );
}

/**
 * The cumulative bucket counts, by upper bound, of histogram `name` (its `_bucket` lines, or the
 * lines of a gauge with an `le` label) among samples whose labels contain `labels`.
 */
export function buckets(metrics: string, name: string, labels = ""): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of metrics.split("\n")) {
    if (!line.startsWith(`${name}{`) || !line.includes(labels)) continue;
    const le = Number(/le="([^"]+)"/.exec(line)?.[1]?.replace("+Inf", "Infinity"));
    out.set(le, (out.get(le) ?? 0) + Number(line.split(" ").at(-1)));
  }
  return out;
}

/** a + sign × b, bucket by bucket: sums scrapes, or takes a window's difference of counters. */
export function addBuckets(a: Map<number, number>, b: Map<number, number>, sign = 1): Map<number, number> {
  const out = new Map(a);
  for (const [le, c] of b) out.set(le, (out.get(le) ?? 0) + sign * c);
  return out;
}

/** The q-quantile as the upper bound of the bucket it falls in (NaN when there are no samples). */
export function quantile(cumulative: Map<number, number>, q: number): number {
  const sorted = [...cumulative].sort((x, y) => x[0] - y[0]);
  const all = sorted.at(-1)?.[1] ?? 0;
  if (all === 0) return Number.NaN;
  return sorted.find(([, c]) => c >= q * all)?.[0] ?? Number.NaN;
}

/**
 * Waits for the heap snapshot a `--heapsnapshot-signal` produced in `dir` (the file stops
 * growing), then sums self sizes by constructor: what holds the memory after a full GC (a
 * snapshot collects garbage first).
 */
export async function heapSnapshotSummary(
  dir: string,
  deadlineMs: number,
): Promise<{ file: string; totalMiB: number; top: { name: string; MiB: number; count: number }[] }> {
  const started = Date.now();
  let file: string | undefined;
  let size = -1;
  while (Date.now() - started < deadlineMs) {
    file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot"));
    if (file) {
      const now = statSync(join(dir, file)).size;
      if (now > 0 && now === size) break;
      size = now;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  if (!file) throw new Error(`no heap snapshot in ${dir} after ${deadlineMs} ms`);
  const snap = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const types = snap.snapshot.meta.node_types[0];
  const by = new Map<string, { bytes: number; count: number }>();
  let all = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] ?? "?";
    const bytes = snap.nodes[i + sizeAt] as number;
    all += bytes;
    const name =
      type === "object" || type === "closure"
        ? `${type} ${snap.strings[snap.nodes[i + nameAt] as number]}`
        : `(${type})`;
    const entry = by.get(name) ?? { bytes: 0, count: 0 };
    entry.bytes += bytes;
    entry.count++;
    by.set(name, entry);
  }
  const top = [...by]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, 15)
    .map(([name, e]) => ({ name, MiB: Number((e.bytes / 2 ** 20).toFixed(2)), count: e.count }));
  return { file, totalMiB: Number((all / 2 ** 20).toFixed(1)), top };
}
