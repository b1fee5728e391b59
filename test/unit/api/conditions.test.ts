import { describe, expect, it } from "vitest";
import { conditionTime, findCondition, setCondition } from "../../../src/api/conditions.ts";
import { Reason, RegionalAppCondition } from "../../../src/api/reasons.ts";

const t0 = new Date("2026-01-02T03:04:05.678Z");
const t1 = new Date("2026-01-02T03:09:00.000Z");

const readyTrue = {
  type: RegionalAppCondition.Ready,
  status: "True" as const,
  reason: Reason.AllRegionsHealthy,
  message: "3/3 regions healthy",
  observedGeneration: 1,
};

describe("setCondition", () => {
  it("adds a missing condition with observedGeneration and a whole-second transition time", () => {
    const conditions = setCondition(undefined, readyTrue, t0);
    expect(conditions).toEqual([{ ...readyTrue, lastTransitionTime: "2026-01-02T03:04:05Z" }]);
  });

  it("moves lastTransitionTime when the status flips", () => {
    const before = setCondition(undefined, readyTrue, t0);
    const after = setCondition(
      before,
      { ...readyTrue, status: "False", reason: Reason.PrimaryUnhealthy, message: "us-east failed 3 probes" },
      t1,
    );
    expect(findCondition(after, "Ready")).toMatchObject({
      status: "False",
      reason: "PrimaryUnhealthy",
      lastTransitionTime: "2026-01-02T03:09:00Z",
    });
  });

  it("keeps lastTransitionTime when only reason, message or generation change", () => {
    const before = setCondition(undefined, readyTrue, t0);
    const after = setCondition(
      before,
      { ...readyTrue, reason: Reason.Accepted, message: "new message", observedGeneration: 2 },
      t1,
    );
    expect(findCondition(after, "Ready")).toEqual({
      ...readyTrue,
      reason: "Accepted",
      message: "new message",
      observedGeneration: 2,
      lastTransitionTime: "2026-01-02T03:04:05Z",
    });
  });

  it("returns the same array when nothing changed, so the caller can skip the status write", () => {
    const before = setCondition(undefined, readyTrue, t0);
    expect(setCondition(before, readyTrue, t1)).toBe(before);
  });

  it("replaces only the condition of the given type and keeps the others in place", () => {
    const degraded = {
      type: RegionalAppCondition.Degraded,
      status: "False" as const,
      reason: Reason.AllRegionsHealthy,
      message: "",
      observedGeneration: 1,
    };
    const both = setCondition(setCondition(undefined, readyTrue, t0), degraded, t0);
    const after = setCondition(both, { ...degraded, status: "True", reason: Reason.RegionUnhealthy }, t1);
    expect(after.map((c) => c.type)).toEqual(["Ready", "Degraded"]);
    expect(after[0]).toBe(both[0]);
    expect(both[1]?.status).toBe("False"); // the input is not mutated
    expect(after[1]?.status).toBe("True");
  });
});

describe("conditionTime", () => {
  it("drops milliseconds, as metav1.Time serialises", () => {
    expect(conditionTime(new Date("2026-05-06T07:08:09.999Z"))).toBe("2026-05-06T07:08:09Z");
  });
});
