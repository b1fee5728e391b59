import { describe, expect, it } from "vitest";
import {
  FailoverPolicyCondition,
  MemberClusterCondition,
  Reason,
  RegionalAppCondition,
  ReplicaPromotionCondition,
} from "../../../src/api/reasons.ts";
import { conditionReasonPattern } from "../../../src/api/schema/common.ts";

const conditionTypes = {
  ...MemberClusterCondition,
  ...FailoverPolicyCondition,
  ...RegionalAppCondition,
  ...ReplicaPromotionCondition,
};

describe("reasons and condition types", () => {
  it.each(Object.entries(Reason))(
    "reason %s is what metav1.Condition accepts, spelled as its key",
    (key, value) => {
      expect(value).toBe(key);
      expect(value).toMatch(new RegExp(conditionReasonPattern));
      expect(value).toMatch(/^[A-Z][A-Za-z0-9]*$/); // CamelCase, as the conventions ask
    },
  );

  it.each(Object.entries(conditionTypes))(
    "condition type %s is CamelCase and spelled as its key",
    (key, value) => {
      expect(value).toBe(key);
      expect(value).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    },
  );

  it("names the conditions DESIGN.md promises on a RegionalApp", () => {
    expect(Object.values(RegionalAppCondition)).toEqual(
      expect.arrayContaining(["Ready", "Degraded", "FailoverInProgress", "Fenced", "FailoverReady"]),
    );
    expect(Object.values(MemberClusterCondition)).toEqual(expect.arrayContaining(["Reachable", "Ready"]));
  });
});
