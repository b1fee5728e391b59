import { describeApiError } from "./api-errors.ts";
import { ConfigurationError } from "./errors.ts";
import { type Logger, reconcileLogger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";
import { type Result, WorkQueue } from "./workqueue.ts";

/** One reconcile: bring the world in line with the object behind `key` ("namespace/name" or "name"). */
export interface Reconciler {
  readonly name: string;
  reconcile(key: string, ctx: ReconcileContext): Promise<Result>;
}

export interface ReconcileContext {
  log: Logger;
  /** Aborted when this process stops leading: check it before every action with side effects. */
  signal: AbortSignal;
}

export interface ControllerOptions {
  reconciler: Reconciler;
  concurrency: number;
  metrics: Metrics;
  log: Logger;
}

/**
 * Runs a Reconciler off a keyed work queue, with controller-runtime's metrics: every reconcile is
 * timed and counted by result, and an error is logged once and retried with backoff by the queue.
 */
export class Controller {
  readonly name: string;
  private readonly queue: WorkQueue;
  private readonly opts: ControllerOptions;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.name = opts.reconciler.name;
    this.queue = new WorkQueue({
      name: this.name,
      concurrency: opts.concurrency,
      metrics: opts.metrics.workqueue,
    });
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  start(signal: AbortSignal): void {
    const { reconciler, metrics, log } = this.opts;
    this.queue.start(async (key) => {
      const stopTimer = metrics.reconcileTime.startTimer({ controller: this.name });
      const reconcileLog = reconcileLogger(log, this.name, key);
      try {
        const result = await reconciler.reconcile(key, { log: reconcileLog, signal });
        metrics.reconcileTotal.inc({
          controller: this.name,
          result: result?.requeueAfterMs === undefined ? "success" : "requeue_after",
        });
        return result;
      } catch (err) {
        metrics.reconcileTotal.inc({ controller: this.name, result: "error" });
        const fields = { err: describeApiError(err), retries: this.queue.retries(key) };
        if (err instanceof ConfigurationError)
          reconcileLog.warn(fields, "needs a fix by the user; retrying with backoff");
        else reconcileLog.error(fields, "reconcile failed; retrying with backoff");
        throw err;
      } finally {
        stopTimer();
      }
    });
  }

  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }
}
