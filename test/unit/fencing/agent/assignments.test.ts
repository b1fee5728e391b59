import { describe, expect, it } from "vitest";
import type { FailoverPolicy, RegionalApp } from "../../../../src/api/types.generated.ts";
import { guardedApps, parseState, serializeState } from "../../../../src/fencing/agent/assignments.ts";

const policy = {
  metadata: { name: "fast", namespace: "shop" },
  spec: { fencing: { leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 } },
} as FailoverPolicy;

function app(status: RegionalApp["status"]): RegionalApp {
  return {
    metadata: { name: "checkout", namespace: "shop", uid: "u1" },
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
        {
          name: "west",
          clusterRef: "mc-west",
          workload: { kind: "StatefulSet", namespace: "other", name: "web" },
        },
      ],
      database: { engine: "postgresql" },
    },
    status,
  } as unknown as RegionalApp;
}

describe("what an agent guards", () => {
  it("maps region names in status to clusters and takes the app's policy timing", () => {
    const [east] = guardedApps(
      [
        app({
          currentPrimary: "east",
          epoch: 2,
          handover: { from: "east", to: "west", epoch: 3, promotionRef: "p" },
        }),
      ],
      [policy],
      "mc-east",
    );
    expect(east).toEqual({
      namespace: "shop",
      name: "checkout",
      uid: "u1",
      region: "east",
      workload: { kind: "Deployment", namespace: "shop", name: "web" },
      databaseSecret: "pg-east",
      engine: "postgresql",
      epoch: 2,
      assignment: {
        primaryCluster: "mc-east",
        handover: { fromCluster: "mc-east", toCluster: "mc-west", epoch: 3 },
      },
      timing: { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 },
    });
    const [west] = guardedApps([app({ currentPrimary: "east" })], [], "mc-west");
    expect(west?.workload).toEqual({ kind: "StatefulSet", namespace: "other", name: "web" });
    expect(west?.databaseSecret).toBeUndefined();
    expect(west?.timing.renewDeadlineMs).toBe(10_000); // no policy found: the API's defaults
    expect(guardedApps([app({})], [policy], "mc-north")).toEqual([]);
  });

  it("persists and reads back what it guards; refuses anything else", () => {
    const apps = guardedApps([app({ currentPrimary: "east", epoch: 1 })], [policy], "mc-east");
    const state = { version: 1 as const, members: ["mc-east", "mc-west"], apps };
    expect(parseState(serializeState(state))).toEqual(state);
    expect(parseState("{}")).toBeUndefined();
    expect(parseState("not json")).toBeUndefined();
  });
});
