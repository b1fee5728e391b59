import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  Watch,
} from "@kubernetes/client-node";
import { describeApiError } from "./api-errors.ts";
import { backoffDelay } from "./backoff.ts";
import type { Logger } from "./logger.ts";

/** `key` is the object's "namespace/name" ("/name" when cluster-scoped): projections may drop both. */
export type ChangeHandler<V> = (obj: V, key: string) => void;

export interface InformerOptions<T extends KubernetesObject, V> {
  kc: KubeConfig;
  /** API path to watch, e.g. /apis/apps/v1/deployments. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  log: Logger;
  /**
   * What the cache keeps of each object. A cache of member-cluster Deployments needs four numbers,
   * not the whole object: projecting keeps memory flat when a cluster runs thousands of workloads.
   */
  project: (obj: T) => V;
  /** Every resyncMs, each cached object is handed to the change handlers again (catches missed work). */
  resyncMs?: number;
  /** Upper bound of the restart backoff after errors. */
  maxBackoffMs?: number;
}

/** Long-running watches are closed by the server after this long and resumed from the last version. */
const watchTimeoutSeconds = 300;

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ""}/${name}`;

/**
 * A list-watch cache that never gives up: it lists, then watches from the list's
 * resourceVersion; a watch the server ends is resumed at once, an expired version (410) relists,
 * and any other error restarts after exponential backoff (1 s doubling to 30 s). Handlers receive
 * every added, updated (or resynced) and deleted object, as projected.
 */
export class Informer<T extends KubernetesObject, V = T> {
  private readonly opts: InformerOptions<T, V>;
  private readonly watcher: Watch;
  private readonly objects = new Map<string, V>();
  private readonly handlers: { change: ChangeHandler<V>[]; delete: ChangeHandler<V>[] } = {
    change: [],
    delete: [],
  };
  private resourceVersion = "";
  private failures = 0;
  private synced = false;
  private stopped = true;
  private request: AbortController | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(opts: InformerOptions<T, V>) {
    this.opts = opts;
    this.watcher = new Watch(opts.kc);
  }

  onChange(handler: ChangeHandler<V>): void {
    this.handlers.change.push(handler);
  }

  onDelete(handler: ChangeHandler<V>): void {
    this.handlers.delete.push(handler);
  }

  /** True once a list has succeeded: the cache is then complete (if possibly stale during an outage). */
  get hasSynced(): boolean {
    return this.synced;
  }

  get(name: string, namespace?: string): V | undefined {
    return this.objects.get(keyOf(namespace, name));
  }

  list(namespace?: string): V[] {
    if (namespace === undefined) return [...this.objects.values()];
    const prefix = `${namespace}/`;
    return [...this.objects].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  /** Starts listing and watching; resolves after the first attempt, never throws. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => {
        for (const [key, obj] of this.objects) this.emit("change", obj, key);
      }, this.opts.resyncMs);
      this.resyncTimer.unref();
    }
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.resyncTimer);
    this.request?.abort();
    this.request = undefined;
  }

  private emit(kind: "change" | "delete", obj: V, key: string): void {
    for (const h of this.handlers[kind]) h(obj, key);
  }

  private async connect(): Promise<void> {
    try {
      if (!this.resourceVersion) await this.relist();
      this.request = await this.watcher.watch(
        this.opts.path,
        {
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: watchTimeoutSeconds,
        },
        (phase, obj) => this.onEvent(phase, obj),
        (err) => this.onDone(err),
      );
    } catch (err) {
      this.restartLater(err);
    }
  }

  private async relist(): Promise<void> {
    const list = await this.opts.list();
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = keyOf(item.metadata?.namespace, item.metadata?.name ?? "");
      seen.add(key);
      const projected = this.opts.project(item);
      this.objects.set(key, projected);
      this.emit("change", projected, key);
    }
    for (const [key, obj] of this.objects) {
      if (seen.has(key)) continue;
      this.objects.delete(key);
      this.emit("delete", obj, key);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? "";
    this.synced = true;
    this.failures = 0;
  }

  private onEvent(phase: string, obj: T & { code?: number }): void {
    if (phase === "ERROR") {
      // 410 Gone: our version is too old to resume from; the watch ends and onDone relists.
      if (obj.code === 410) this.resourceVersion = "";
      return;
    }
    this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
    if (phase === "BOOKMARK") return;
    const key = keyOf(obj.metadata?.namespace, obj.metadata?.name ?? "");
    if (phase === "DELETED") {
      const old = this.objects.get(key);
      this.objects.delete(key);
      if (old !== undefined) this.emit("delete", old, key);
      return;
    }
    const projected = this.opts.project(obj);
    this.objects.set(key, projected);
    this.emit("change", projected, key);
  }

  private onDone(err: unknown): void {
    this.request = undefined;
    if (this.stopped) return;
    const gone = (err as { statusCode?: number; code?: number } | null)?.statusCode === 410;
    if (gone) this.resourceVersion = "";
    if (!err || gone) {
      void this.connect(); // the server ended the watch (timeout, 410): resume at once
      return;
    }
    this.restartLater(err);
  }

  private restartLater(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    const delay = backoffDelay(this.failures, { baseMs: 1000, maxMs: this.opts.maxBackoffMs ?? 30_000 });
    this.failures++;
    this.resourceVersion = ""; // relist after an error: events may have been missed
    this.opts.log.warn(
      { path: this.opts.path, err: describeApiError(err), retryInMs: delay },
      "list/watch failed; restarting after backoff",
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) void this.connect();
    }, delay);
    this.restartTimer.unref();
  }
}
