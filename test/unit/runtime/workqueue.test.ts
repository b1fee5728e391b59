import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../../src/runtime/backoff.ts";
import { ConfigurationError } from "../../../src/runtime/errors.ts";
import { createMetrics } from "../../../src/runtime/metrics.ts";
import { WorkQueue } from "../../../src/runtime/workqueue.ts";
import { pollUntil } from "../../harness/poll.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("backoffDelay", () => {
  it("doubles per attempt from the base and stops at the cap", () => {
    const opts = { baseMs: 5, maxMs: 300_000, jitter: 0 };
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, opts))).toEqual([5, 10, 20, 40]);
    expect(backoffDelay(40, opts)).toBe(300_000);
    expect(backoffDelay(5000, opts)).toBe(300_000);
  });

  it("adds at most the jitter fraction and never exceeds the cap", () => {
    expect(backoffDelay(2, { baseMs: 100, maxMs: 10_000, jitter: 0.1, random: () => 1 })).toBe(440);
    expect(backoffDelay(20, { baseMs: 100, maxMs: 10_000, jitter: 0.1, random: () => 1 })).toBe(10_000);
  });
});

describe("WorkQueue", () => {
  it("stores a waiting key once however often it is added", async () => {
    const q = new WorkQueue({ name: "t", concurrency: 1 });
    q.add("a");
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.depth).toBe(2);
    const seen: string[] = [];
    q.start(async (k) => {
      seen.push(k);
      return undefined;
    });
    await pollUntil("both keys processed", 2000, () => seen.length === 2);
    expect(seen).toEqual(["a", "b"]);
  });

  it("never runs one key twice at once, and runs it again if it was added meanwhile", async () => {
    const q = new WorkQueue({ name: "t", concurrency: 4 });
    const gate = deferred();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    q.start(async () => {
      active++;
      runs++;
      maxActive = Math.max(maxActive, active);
      if (runs === 1) await gate.promise;
      active--;
      return undefined;
    });
    q.add("a");
    await pollUntil("first run started", 2000, () => runs === 1);
    q.add("a");
    q.add("a");
    expect(runs).toBe(1);
    gate.resolve();
    await pollUntil("second run", 2000, () => runs === 2);
    expect(maxActive).toBe(1);
    await q.shutdown();
    expect(runs).toBe(2);
  });

  it("bounds concurrency across keys", async () => {
    const q = new WorkQueue({ name: "t", concurrency: 2 });
    const gate = deferred();
    let active = 0;
    let maxActive = 0;
    let done = 0;
    q.start(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await gate.promise;
      active--;
      done++;
      return undefined;
    });
    for (const k of ["a", "b", "c", "d", "e"]) q.add(k);
    await pollUntil("two running", 2000, () => active === 2);
    expect(q.depth).toBe(3);
    gate.resolve();
    await pollUntil("all done", 2000, () => done === 5);
    expect(maxActive).toBe(2);
  });

  it("retries a failing key with growing delays and forgets the failures after a success", async () => {
    const metrics = createMetrics();
    const q = new WorkQueue({ name: "retry", concurrency: 1, baseRetryMs: 20, metrics: metrics.workqueue });
    const times: number[] = [];
    q.start(async () => {
      times.push(performance.now());
      if (times.length < 4) throw new Error("transient");
      return undefined;
    });
    q.add("a");
    await pollUntil("fourth attempt", 5000, () => times.length === 4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // 20, 40, 80 ms (+<=10% jitter); timers may fire late but never early.
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
    expect(q.retries("a")).toBe(0);
    const retries = await metrics.registry.getSingleMetricAsString("workqueue_retries_total");
    expect(retries).toContain('workqueue_retries_total{name="retry"} 3');
  });

  it("honours requeueAfterMs and keeps the sooner of two delays", async () => {
    const q = new WorkQueue({ name: "t", concurrency: 1 });
    let runs = 0;
    q.start(async () => {
      runs++;
      return runs === 1 ? { requeueAfterMs: 30 } : undefined;
    });
    const started = performance.now();
    q.add("a");
    await pollUntil("requeued run", 2000, () => runs === 2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);

    q.addAfter("b", 60_000);
    q.addAfter("b", 10);
    await pollUntil("sooner delay wins", 2000, () => runs === 3);
    await q.shutdown();
  });

  it("shutdown waits for running handlers and hands out nothing more", async () => {
    const q = new WorkQueue({ name: "t", concurrency: 1 });
    const gate = deferred();
    const seen: string[] = [];
    q.start(async (k) => {
      seen.push(k);
      await gate.promise;
      return undefined;
    });
    q.add("a");
    q.add("b");
    await pollUntil("a running", 2000, () => seen.length === 1);
    let finished = false;
    const stopping = q.shutdown().then(() => {
      finished = true;
    });
    await Promise.resolve();
    expect(finished).toBe(false);
    gate.resolve();
    await stopping;
    q.add("c");
    expect(seen).toEqual(["a"]);
  });
});

describe("WorkQueue with configuration errors", () => {
  it("retries a ConfigurationError slowly, from one second", async () => {
    const q = new WorkQueue({ name: "t", concurrency: 1 });
    const times: number[] = [];
    q.start(async () => {
      times.push(performance.now());
      if (times.length === 1) throw new ConfigurationError("Secret missing");
      return undefined;
    });
    q.add("a");
    await pollUntil("retry", 3000, () => times.length === 2);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(999);
    await q.shutdown();
  });
});
