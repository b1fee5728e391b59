import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ConditionGauge } from "../../../../src/controllers/regionalapp/metrics.ts";
import { PrimaryPositions } from "../../../../src/controllers/regionalapp/replication.ts";

describe("replication lag in seconds", () => {
  it("is how long ago the primary was first seen past the replica's position", () => {
    const p = new PrimaryPositions();
    expect(p.lagOf("0/100", 0)).toBeUndefined();
    p.record("0/100", 1_000);
    p.record("0/100", 2_000); // unchanged: still first seen at 1 s
    p.record("0/200", 3_000);
    p.record("0/300", 5_000);
    expect(p.lagOf("0/300", 6_000)).toEqual({ bytes: 0, seconds: 0 });
    expect(p.lagOf("0/200", 6_000)).toEqual({ bytes: 0x100, seconds: 1 });
    expect(p.lagOf("0/150", 6_000)).toEqual({ bytes: 0x1b0, seconds: 3 });
    // A stalled replica's lag keeps growing while the primary writes on.
    expect(p.lagOf("0/100", 36_000)).toEqual({ bytes: 0x200, seconds: 33 });
  });

  it("starts over when the primary's position goes back (a new primary)", () => {
    const p = new PrimaryPositions();
    p.record("0/900", 1_000);
    p.record("0/100", 2_000);
    expect(p.latest).toBe("0/100");
    expect(p.lagOf("0/50", 3_000)).toEqual({ bytes: 0xb0, seconds: 1 });
  });
});

describe("meridian_regionalapp_condition", () => {
  const condition = (type: string, status: "True" | "False", reason: string) => ({
    type,
    status,
    reason,
    message: "",
    lastTransitionTime: "2026-01-01T00:00:00Z",
  });

  it("one series per condition with its status and reason; a flip leaves no old series", async () => {
    const registry = new Registry();
    const gauge = new ConditionGauge(registry);
    gauge.set("shop", "checkout", [condition("FailoverReady", "True", "PreflightPassed")]);
    gauge.set("shop", "checkout", [condition("FailoverReady", "False", "ReplicationLagTooHigh")]);
    const text = await registry.metrics();
    expect(text).toContain(
      'meridian_regionalapp_condition{namespace="shop",app="checkout",type="FailoverReady",status="False",reason="ReplicationLagTooHigh"} 1',
    );
    expect(text).not.toContain('status="True"');
    gauge.forget("shop", "checkout");
    expect(await registry.metrics()).not.toContain('app="checkout"');
  });
});
