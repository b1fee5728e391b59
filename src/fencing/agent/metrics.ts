import { Counter, Gauge, Registry } from "prom-client";

/** The agent's own registry: what it fenced, and whether it reaches the hub right now. */
export function createAgentMetrics(registry = new Registry()) {
  return {
    registry,
    fenced: new Counter({
      name: "meridian_agent_fenced_total",
      help: "Fences this agent completed in its region, per app.",
      labelNames: ["app"],
      registers: [registry],
    }),
    hubReachable: new Gauge({
      name: "meridian_agent_hub_reachable",
      help: "1 when the hub's API server answered the agent's last probe, 0 otherwise.",
      registers: [registry],
    }),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
