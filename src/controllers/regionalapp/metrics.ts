import { Gauge, type Registry } from "prom-client";
import type { Condition } from "../../api/types.generated.ts";

export function createRegionalAppMetrics(registry: Registry) {
  return {
    regionHealthy: new Gauge({
      name: "meridian_region_healthy",
      help: "1 when the region counts as healthy for the app under its policy's thresholds, else 0.",
      labelNames: ["namespace", "app", "region"],
      registers: [registry],
    }),
    replicationLag: new Gauge({
      name: "meridian_replication_lag_bytes",
      help: "How far the region's database replica is behind the primary's last known WAL position.",
      labelNames: ["namespace", "app", "region"],
      registers: [registry],
    }),
    replicationLagSeconds: new Gauge({
      name: "meridian_replication_lag_seconds",
      help: "How long ago the primary was first seen past the replica's replayed position (0 when caught up); resolution is the health-check interval.",
      labelNames: ["namespace", "app", "region"],
      registers: [registry],
    }),
    conditions: new ConditionGauge(registry),
  };
}

export type RegionalAppMetrics = ReturnType<typeof createRegionalAppMetrics>;

type ConditionLabels = { namespace: string; app: string; type: string; status: string; reason: string };

/**
 * meridian_regionalapp_condition: one series per app and condition type, 1, labelled with the
 * condition's current status and reason, so an alert can say "FailoverReady False for 10 minutes"
 * and link the reason's runbook. A flip replaces the series, never leaves the old one behind.
 */
export class ConditionGauge {
  readonly #gauge: Gauge;
  readonly #current = new Map<string, ConditionLabels[]>();

  constructor(registry: Registry) {
    this.#gauge = new Gauge({
      name: "meridian_regionalapp_condition",
      help: "1 for each condition of a RegionalApp, labelled with its type, status and reason.",
      labelNames: ["namespace", "app", "type", "status", "reason"],
      registers: [registry],
    });
  }

  set(namespace: string, app: string, conditions: readonly Condition[]): void {
    this.forget(namespace, app);
    const labels = conditions.map((c) => ({
      namespace,
      app,
      type: c.type,
      status: c.status,
      reason: c.reason,
    }));
    for (const l of labels) this.#gauge.set(l, 1);
    this.#current.set(`${namespace}/${app}`, labels);
  }

  forget(namespace: string, app: string): void {
    for (const l of this.#current.get(`${namespace}/${app}`) ?? []) this.#gauge.remove(l);
    this.#current.delete(`${namespace}/${app}`);
  }
}
