// What every benchmark reports alongside its numbers: summaries of samples, the machine, and its
// load at the time (the test machine is shared; a number measured under load says so).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";

export interface Summary {
  runs: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

/** Nearest-rank quantile of sorted samples. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    min: sorted[0] ?? Number.NaN,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** The 1, 5 and 15 minute load averages, rounded: recorded with every measurement. */
export const loadAverage = (): [number, number, number] =>
  loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number];

export function machine(): Record<string, string | number> {
  const named = (() => {
    try {
      return execFileSync("/usr/sbin/named", ["-v"]).toString().trim();
    } catch {
      return "unknown";
    }
  })();
  return { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model.trim() ?? "", bind: named };
}

/** Writes bench/results/<name>.json. */
export function writeResults(name: string, results: unknown): string {
  const path = resolve(import.meta.dirname, "results", `${name}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}
