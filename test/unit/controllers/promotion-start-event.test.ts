import { describe, expect, it } from "vitest";
import { promotionStartEvent } from "../../../src/controllers/regionalapp/reconciler.ts";

describe("the Event that announces a promotion the RegionalApp controller starts", () => {
  it("is a Warning for a failover: an outage, worth an alert", () => {
    expect(promotionStartEvent("Failover")).toEqual({ type: "Warning", reason: "PrimaryUnhealthy" });
  });

  it("is Normal for a switchover from Git: a planned, routine move", () => {
    expect(promotionStartEvent("Switchover")).toEqual({ type: "Normal", reason: "PrimaryRegionChanged" });
  });
});
