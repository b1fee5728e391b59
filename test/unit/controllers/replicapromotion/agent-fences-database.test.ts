import { describe, expect, it } from "vitest";
import type { RegionalApp } from "../../../../src/api/types.generated.ts";
import { agentFencesDatabase } from "../../../../src/controllers/replicapromotion/facts.ts";
import { guardedApps } from "../../../../src/fencing/agent/assignments.ts";

// The hub may let lease expiry or an agent's acknowledgement stand for a fence only for engines
// whose database the agent really fences from inside the region. If the two sides disagreed, a
// cut-off old primary of such an engine would stay writable while the hub promoted another region
// (invariant 1). Checked for every engine the API accepts.
const engines = ["postgresql", "cloudnative-pg", "job", "none"] as const;

function appWith(engine: (typeof engines)[number]): RegionalApp {
  return {
    metadata: { name: "checkout", namespace: "shop" },
    spec: {
      policyRef: { name: "fast" },
      primaryRegion: "east",
      regions: [
        {
          name: "east",
          clusterRef: "mc-east",
          workload: { kind: "Deployment", name: "web" },
          database: { connectionSecretRef: { name: "pg-east" } },
        },
      ],
      database: { engine },
    },
  } as RegionalApp;
}

describe("the hub trusts an agent's fence only for engines the agent fences", () => {
  it.each(engines)("engine %s", (engine) => {
    const app = appWith(engine);
    const [guarded] = guardedApps([app], [], "mc-east");
    const agentFencesIt = engine === "none" || guarded?.databaseSecret !== undefined;
    expect(agentFencesDatabase(app)).toBe(agentFencesIt);
  });
});
