import { Counter, Gauge, Registry } from "prom-client";

/** The agent's own registry. The gauges read the loop's state when scraped. */
export function createAgentMetrics(
  read: { lastRenewalAgeSeconds(): number; abstaining(): boolean; failsafeEngaged(): boolean },
  registry = new Registry(),
) {
  new Gauge({
    name: "meridian_agent_last_renewal_age_seconds",
    help: "Seconds since the latest successful renewal of the region Lease was sent (since start when none).",
    registers: [registry],
    collect() {
      this.set(read.lastRenewalAgeSeconds());
    },
  });
  new Gauge({
    name: "meridian_agent_abstaining",
    help: "1 while the agent's renewals abstain (bound by a promise, or the hub not reached lately).",
    registers: [registry],
    collect() {
      this.set(read.abstaining() ? 1 : 0);
    },
  });
  new Gauge({
    name: "meridian_agent_failsafe_engaged",
    help: "1 while some app's primary here is kept serving only by peers' promises.",
    registers: [registry],
    collect() {
      this.set(read.failsafeEngaged() ? 1 : 0);
    },
  });
  return {
    registry,
    fenced: new Counter({
      name: "meridian_agent_fenced_total",
      help: "Fences this agent completed in its region, per app (namespace/name).",
      labelNames: ["app"],
      registers: [registry],
    }),
    renewals: new Counter({
      name: "meridian_agent_renewals_total",
      help: "Renewals of the region Lease, by result (success, conflict, error, timeout).",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
