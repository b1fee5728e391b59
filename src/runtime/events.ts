import { randomBytes } from "node:crypto";
import { EventsV1Api, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { describeApiError } from "./api-errors.ts";
import type { Logger } from "./logger.ts";
import { MicroTime } from "./micro-time.ts";

/** The object an Event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export type EventType = "Normal" | "Warning";

/** Repeats of the same event within this window update one Event's series instead of adding Events. */
const seriesWindowMs = 10 * 60_000;

/**
 * Writes events.k8s.io/v1 Events. A reason is a CamelCase word from a typed list (the type
 * parameter), so `kubectl get events --field-selector reason=X` is a stable interface. Repeated
 * identical events (a misconfiguration retried with backoff) become one Event with a growing
 * `series.count`, never a flood. Recording is best effort: a failure is logged, never thrown.
 */
export class EventRecorder<Reason extends string> {
  private readonly api: EventsV1Api;
  private readonly controller: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();

  constructor(
    kc: KubeConfig,
    opts: { controller: string; instance: string; log: Logger; now?: () => number },
  ) {
    this.api = kc.makeApiClient(EventsV1Api);
    this.controller = opts.controller;
    this.instance = opts.instance;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
  }

  async record(
    subject: EventSubject,
    type: EventType,
    reason: Reason,
    action: string,
    note: string,
  ): Promise<void> {
    // Events about cluster-scoped objects live in "default", as kubectl describe expects.
    const namespace = subject.namespace ?? "default";
    const key = [subject.kind, namespace, subject.name, type, reason, note].join("\u0000");
    const nowMs = this.now();
    const previous = this.recent.get(key);
    try {
      if (previous && nowMs - previous.at < seriesWindowMs) {
        previous.count++;
        previous.at = nowMs;
        await this.api.patchNamespacedEvent(
          {
            name: previous.name,
            namespace,
            body: { series: { count: previous.count, lastObservedTime: new MicroTime(nowMs) } },
          },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        return;
      }
      const name = `${subject.name}.${randomBytes(8).toString("hex")}`;
      await this.api.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          eventTime: new MicroTime(nowMs),
          reportingController: this.controller,
          reportingInstance: this.instance,
          action,
          reason,
          note: note.slice(0, 1024),
          type,
          regarding: {
            apiVersion: subject.apiVersion,
            kind: subject.kind,
            name: subject.name,
            namespace: subject.namespace,
            uid: subject.uid,
          },
        },
      });
      this.remember(key, { name, namespace, count: 1, at: nowMs });
    } catch (err) {
      this.log.warn({ reason, subject: subject.name, err: describeApiError(err) }, "could not record event");
    }
  }

  private remember(key: string, entry: { name: string; namespace: string; count: number; at: number }): void {
    this.recent.set(key, entry);
    if (this.recent.size > 5000) {
      for (const [k, v] of this.recent) if (entry.at - v.at >= seriesWindowMs) this.recent.delete(k);
    }
  }
}
