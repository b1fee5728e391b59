import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Meridian's own Prometheus registry (never prom-client's global one, so embedding code cannot
 * collide with it). Metric names follow controller-runtime's where one exists, so dashboards
 * built for Go operators work unchanged.
 */
export function createMetrics(registry = new Registry()) {
  const workqueue = {
    depth: new Gauge({
      name: "workqueue_depth",
      help: "Current depth of the work queue.",
      labelNames: ["name"],
      registers: [registry],
    }),
    adds: new Counter({
      name: "workqueue_adds_total",
      help: "Adds handled by the work queue.",
      labelNames: ["name"],
      registers: [registry],
    }),
    retries: new Counter({
      name: "workqueue_retries_total",
      help: "Retries handled by the work queue.",
      labelNames: ["name"],
      registers: [registry],
    }),
  };
  return {
    registry,
    workqueue,
    reconcileTotal: new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total reconciliations per controller and result (success, error, requeue_after).",
      labelNames: ["controller", "result"],
      registers: [registry],
    }),
    reconcileTime: new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller.",
      labelNames: ["controller"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    leaderStatus: new Gauge({
      name: "leader_election_master_status",
      help: "1 while this process holds the leader Lease, 0 otherwise.",
      labelNames: ["name"],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
export type WorkqueueMetrics = Metrics["workqueue"];
