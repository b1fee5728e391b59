import { Gauge, type Registry } from "prom-client";

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
  };
}

export type RegionalAppMetrics = ReturnType<typeof createRegionalAppMetrics>;
