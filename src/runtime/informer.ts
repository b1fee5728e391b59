import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
} from "@kubernetes/client-node";
import { describeApiError } from "./api-errors.ts";
import { backoffDelay } from "./backoff.ts";
import type { Logger } from "./logger.ts";

export type ChangeHandler<T> = (obj: T) => void;

export interface InformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** API path to watch, e.g. /apis/apps/v1/deployments. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  log: Logger;
  /** Every resyncMs, each cached object is handed to the handlers again (catches missed work). */
  resyncMs?: number;
  /** Upper bound of the restart backoff after errors. */
  maxBackoffMs?: number;
}

/**
 * A list-watch cache that never gives up: client-node's informer stops on any error, so this
 * restarts it with exponential backoff (1 s doubling to 30 s by default), and resyncs
 * periodically. Handlers receive every added, updated (or resynced) and deleted object.
 */
export class Informer<T extends KubernetesObject> {
  private readonly inner: ReturnType<typeof makeInformer<T>>;
  private readonly opts: InformerOptions<T>;
  private readonly handlers: { change: ChangeHandler<T>[]; delete: ChangeHandler<T>[] } = {
    change: [],
    delete: [],
  };
  private failures = 0;
  private synced = false;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.inner = makeInformer(opts.kc, opts.path, opts.list, opts.labelSelector);
    const emit = (kind: "change" | "delete") => (obj: T) => {
      for (const h of this.handlers[kind]) h(obj);
    };
    this.inner.on("add", emit("change"));
    this.inner.on("update", emit("change"));
    this.inner.on("delete", emit("delete"));
    this.inner.on("error", (err) => this.restartLater(err));
  }

  onChange(handler: ChangeHandler<T>): void {
    this.handlers.change.push(handler);
  }

  onDelete(handler: ChangeHandler<T>): void {
    this.handlers.delete.push(handler);
  }

  /** True once a list has succeeded since the last start; the cache is then complete. */
  get hasSynced(): boolean {
    return this.synced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.inner.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.inner.list(namespace);
  }

  /** Starts watching; never throws: failures are logged and retried with backoff. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
    if (this.opts.resyncMs && !this.resyncTimer) {
      this.resyncTimer = setInterval(() => {
        for (const obj of this.list()) for (const h of this.handlers.change) h(obj);
      }, this.opts.resyncMs);
      this.resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    await this.inner.stop();
  }

  private async connect(): Promise<void> {
    const failuresBefore = this.failures;
    await this.inner.start().catch((err: unknown) => this.restartLater(err));
    // start() resolves after the initial list and the watch request; an error in between was
    // reported through the error handler, which counted it.
    if (this.failures === failuresBefore && !this.stopped) {
      this.synced = true;
      this.failures = 0;
    }
  }

  private restartLater(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    const delay = backoffDelay(this.failures, { baseMs: 1000, maxMs: this.opts.maxBackoffMs ?? 30_000 });
    this.failures++;
    this.opts.log.warn(
      { path: this.opts.path, err: describeApiError(err), retryInMs: delay },
      "watch failed; restarting after backoff",
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) void this.connect();
    }, delay);
    this.restartTimer.unref();
  }
}
