import { Gauge, Histogram, type Registry } from "prom-client";

/** Metrics of member-cluster probing, on Meridian's registry. */
export function createClusterMetrics(registry: Registry) {
  return {
    reachable: new Gauge({
      name: "meridian_member_cluster_reachable",
      help: "1 when the member cluster's API server answered /readyz at the last probe, else 0.",
      labelNames: ["cluster"],
      registers: [registry],
    }),
    probeDuration: new Histogram({
      name: "meridian_probe_duration_seconds",
      help: "Duration of member-cluster /readyz probes (one per cluster per interval).",
      labelNames: ["cluster"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

export type ClusterMetrics = ReturnType<typeof createClusterMetrics>;
