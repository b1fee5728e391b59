import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createFailoverMetrics(registry: Registry) {
  return {
    total: new Counter({
      name: "meridian_failover_total",
      help: "Finished promotions (failovers, switchovers, drills) by result.",
      labelNames: ["type", "result"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "meridian_failover_duration_seconds",
      help: "Measured RTO: from the promotion's creation until the new primary took writes and DNS named it.",
      labelNames: ["type"],
      buckets: [1, 2, 5, 10, 15, 20, 30, 45, 60, 120, 300],
      registers: [registry],
    }),
    phaseDuration: new Histogram({
      name: "meridian_failover_phase_duration_seconds",
      help: "Time spent in each promotion phase.",
      labelNames: ["phase"],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers: [registry],
    }),
    awaitingApproval: new Gauge({
      name: "meridian_promotion_awaiting_approval",
      help: "1 while a ReplicaPromotion waits in Pending for spec.approved (the policy is Manual); absent otherwise.",
      labelNames: ["namespace", "promotion"],
      registers: [registry],
    }),
    epoch: new Gauge({
      name: "meridian_epoch",
      help: "The app's current fencing epoch.",
      labelNames: ["namespace", "app"],
      registers: [registry],
    }),
  };
}

export type FailoverMetrics = ReturnType<typeof createFailoverMetrics>;
