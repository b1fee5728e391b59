import { backoffDelay } from "./backoff.ts";
import { retryBounds } from "./errors.ts";
import type { WorkqueueMetrics } from "./metrics.ts";

export interface WorkQueueOptions {
  name: string;
  /** Reconciles that may run at once; one key never runs twice at the same time. */
  concurrency: number;
  /** First retry delay after a failure; doubles per consecutive failure of the same key. */
  baseRetryMs?: number;
  maxRetryMs?: number;
  metrics?: WorkqueueMetrics;
}

/** What a handler tells the queue: done, retry with backoff (an error), or come back after a delay. */
export type Result = { requeueAfterMs?: number } | undefined;

/**
 * A keyed work queue in the manner of client-go's: a key waiting in the queue is stored once
 * however often it is added; a key being processed is never handed to a second worker, and if it
 * is added meanwhile it runs once more afterwards; a failing key is retried with per-key
 * exponential backoff (a few ms up to 5 minutes) until it succeeds.
 */
export class WorkQueue {
  private readonly opts: Required<Omit<WorkQueueOptions, "metrics">> & { metrics?: WorkqueueMetrics };
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private handler: ((key: string) => Promise<Result>) | undefined;
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: WorkQueueOptions) {
    this.opts = { baseRetryMs: 5, maxRetryMs: 5 * 60_000, ...opts };
  }

  /** Starts handing keys to `handler`, at most `concurrency` at a time. */
  start(handler: (key: string) => Promise<Result>): void {
    this.handler = handler;
    this.pump();
  }

  add(key: string): void {
    if (this.stopped) return;
    this.opts.metrics?.adds.inc({ name: this.opts.name });
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.updateDepth();
    this.pump();
  }

  /** Adds the key after `ms`; a sooner pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.due <= due) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, { timer, due });
  }

  /** Consecutive failures of the key so far. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Stops handing out keys and waits for running handlers to finish (graceful shutdown). */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.updateDepth();
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.handler && !this.stopped && this.running < this.opts.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      this.updateDepth();
      void this.process(key, this.handler);
    }
  }

  private async process(key: string, handler: (key: string) => Promise<Result>): Promise<void> {
    let result: Result;
    let failed = false;
    let bounds = { baseMs: this.opts.baseRetryMs, maxMs: this.opts.maxRetryMs };
    try {
      result = await handler(key);
    } catch (err) {
      // The handler records and logs its own errors; the queue's part is to retry with backoff.
      failed = true;
      bounds = retryBounds(err) ?? bounds;
    }
    this.processing.delete(key);
    this.running--;
    if (failed) {
      const attempt = this.retries(key);
      this.failures.set(key, attempt + 1);
      this.opts.metrics?.retries.inc({ name: this.opts.name });
      this.addAfter(key, backoffDelay(attempt, bounds));
    } else {
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    }
    if (this.dirty.delete(key)) this.add(key);
    if (this.stopped && this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
    this.pump();
  }

  private updateDepth(): void {
    this.opts.metrics?.depth.set({ name: this.opts.name }, this.queue.length);
  }
}
