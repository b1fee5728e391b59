import { Gauge, type Registry } from "prom-client";
import type { Condition } from "../../api/types.generated.ts";

/** Bucket bounds (seconds) of meridian_observation_age_seconds. */
const ageBuckets = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10, 15, 20, 30, 60, 120];

/**
 * Liveness of health checking lives here, not in every app's status (a status heartbeat would be
 * apps × regions writes on the hub): how long ago each app was last observed, read at scrape time.
 */
export function createRegionalAppMetrics(registry: Registry) {
  /** Seconds since each observed app's last health observation; set while this replica leads. */
  let ages: (() => number[]) | undefined;
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
    observationAge: new Gauge({
      name: "meridian_observation_age_seconds",
      help: "Apps whose oldest region observation is at most `le` seconds old, now (a cumulative histogram of current ages, read at scrape time).",
      labelNames: ["le"],
      registers: [registry],
      collect() {
        this.reset();
        const now = ages?.() ?? [];
        for (const le of ageBuckets) this.set({ le: String(le) }, now.filter((a) => a <= le).length);
        this.set({ le: "+Inf" }, now.length);
      },
    }),
    observationAgeMax: new Gauge({
      name: "meridian_observation_age_max_seconds",
      help: "Seconds since the least recently observed app's oldest region observation.",
      registers: [registry],
      collect() {
        this.set(Math.max(0, ...(ages?.() ?? [])));
      },
    }),
    /** The leading reconciler reports its apps' observation ages; undefined when it stops. */
    observeAges(source: (() => number[]) | undefined): void {
      ages = source;
    },
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
