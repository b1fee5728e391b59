import { describe, expect, it } from "vitest";
import type { FailoverPolicy, RegionalApp } from "../../../src/api/types.generated.ts";
import { failoverInputs, startInputs } from "../../../src/controllers/regionalapp/promotions.ts";
import { decideStart } from "../../../src/failover/decide-start.ts";

const now = Date.parse("2026-11-27T12:00:00Z");
const policy = {
  metadata: { name: "critical", namespace: "shop" },
  spec: {
    mode: "Automatic",
    minSecondsBetweenFailovers: 600,
    minHealthyRegions: 1,
    promotion: { maxLagBytes: 1048576, allowDataLoss: false, timeoutSeconds: 60 },
    failback: { mode: "Manual", stabilizationSeconds: 300 },
  },
} as unknown as FailoverPolicy;

/** checkout, moved from us-east to eu-west a minute ago by `type`; eu-west is down now. */
function appAfter(type: "Failover" | "Switchover" | undefined): RegionalApp {
  return {
    metadata: { name: "checkout", namespace: "shop" },
    spec: {
      policyRef: { name: "critical" },
      primaryRegion: type === "Switchover" ? "eu-west" : "us-east",
      suspend: false,
      database: { engine: "none" },
      regions: [
        { name: "us-east", clusterRef: "us-east", priority: 1 },
        { name: "eu-west", clusterRef: "eu-west", priority: 2 },
      ],
    },
    status: {
      currentPrimary: "eu-west",
      lastAppliedPrimaryRegion: type === "Switchover" ? "eu-west" : "us-east",
      epoch: 1,
      lastFailover: {
        ...(type ? { type } : {}),
        from: "us-east",
        to: "eu-west",
        epoch: 1,
        startedAt: new Date(now - 60_000).toISOString(),
      },
    },
  } as unknown as RegionalApp;
}

/** The start decision with eu-west (the primary) down and us-east healthy, promotions long gone. */
function decide(app: RegionalApp) {
  const views = [
    { name: "us-east", healthy: true },
    { name: "eu-west", healthy: false },
  ];
  const failover = failoverInputs(app, policy, { get: () => undefined }, views, false, now);
  return decideStart(startInputs(app, policy, [], failover, now));
}

describe("minSecondsBetweenFailovers and status.lastFailover", () => {
  it("holds a second failover within the window after a failover", () => {
    expect(decide(appAfter("Failover"))).toMatchObject({ reason: "TooSoonSinceLastFailover" });
  });

  it("does not hold the failover of a region a planned switchover just moved to", () => {
    const d = decide(appAfter("Switchover"));
    expect(d.promotion).toMatchObject({ type: "Failover", fromRegion: "eu-west", targetRegion: "us-east" });
  });

  it("counts a record without a type as a failover (the safe side)", () => {
    expect(decide(appAfter(undefined))).toMatchObject({ reason: "TooSoonSinceLastFailover" });
  });
});
