// The Reconciling/Stalled verdicts kstatus (Flux, kpt) and Argo CD read; the integration test
// gitops-kstatus.test.ts runs live objects through kstatus itself.
import { describe, expect, it } from "vitest";
import { findCondition, type Progress, setProgress } from "../../../src/api/conditions.ts";
import { Reason } from "../../../src/api/reasons.ts";
import type { RegionalApp } from "../../../src/api/types.generated.ts";
import { type AppProgressInputs, appProgress } from "../../../src/controllers/regionalapp/progress.ts";
import { primaryAsSpecified } from "../../../src/controllers/regionalapp/status.ts";
import { promotionProgress } from "../../../src/controllers/replicapromotion/progress.ts";

function app(status: RegionalApp["status"], primaryRegion = "us-east"): RegionalApp {
  return {
    apiVersion: "meridian.dev/v1alpha1",
    kind: "RegionalApp",
    metadata: { name: "checkout", generation: 2 },
    spec: { primaryRegion } as RegionalApp["spec"],
    status,
  };
}

const settled = { currentPrimary: "us-east", lastAppliedPrimaryRegion: "us-east", epoch: 0 };
const progressOf = (a: RegionalApp, i: Partial<AppProgressInputs> = {}) =>
  appProgress(a, { primaryHealthy: true, asSpecified: primaryAsSpecified(a), ...i });

describe("appProgress", () => {
  it("is Done when the healthy primary is the spec's and nothing runs", () => {
    expect(progressOf(app(settled))).toMatchObject({ state: "Done", reason: Reason.PrimaryHealthy });
  });

  it("is Reconciling while a promotion runs or hands over, even with a cached app a step behind", () => {
    expect(progressOf(app(settled), { activePromotion: "checkout-switchover-1-1" })).toMatchObject({
      state: "Reconciling",
      reason: Reason.FailoverInProgress,
    });
    const handover = { from: "us-east", to: "eu-west", epoch: 1, promotionRef: "p" };
    expect(progressOf(app({ ...settled, handover }, "eu-west"))).toMatchObject({
      state: "Reconciling",
      reason: Reason.FailoverInProgress,
    });
  });

  it("is Reconciling from an edit of spec.primaryRegion until the switchover is acted upon", () => {
    expect(progressOf(app(settled, "eu-west"))).toMatchObject({
      state: "Reconciling",
      reason: Reason.PrimaryRegionChanged,
    });
  });

  it("is Reconciling until the primary is judged, and while a failover of a failed primary starts", () => {
    expect(progressOf(app(settled), { primaryHealthy: undefined }).state).toBe("Reconciling");
    const go = { failover: true, reason: Reason.PrimaryUnhealthy, message: "go", target: "eu-west" };
    expect(progressOf(app(settled), { primaryHealthy: false, decision: go }).state).toBe("Reconciling");
  });

  it("is Stalled when a safety rule holds back the failover of a failed primary, with the rule's reason", () => {
    const held = { failover: false, reason: Reason.TooFewHealthyRegions, message: "1 of 2 healthy" };
    expect(progressOf(app(settled), { primaryHealthy: false, decision: held })).toMatchObject({
      state: "Stalled",
      reason: Reason.TooFewHealthyRegions,
    });
  });

  it("is Stalled after a failover, saying what to commit, until Git names the new primary", () => {
    const failedOver = {
      currentPrimary: "eu-west",
      lastAppliedPrimaryRegion: "us-east",
      epoch: 1,
      lastFailover: { type: "Failover" as const, from: "us-east", to: "eu-west", epoch: 1 },
    };
    const p = progressOf(app(failedOver));
    expect(p).toMatchObject({ state: "Stalled", reason: Reason.PrimaryDiffersFromSpec });
    expect(p.message).toContain("set spec.primaryRegion: eu-west in Git");
    // Committing it is a change of spec.primaryRegion to the region that is already primary.
    expect(progressOf(app({ ...failedOver, lastAppliedPrimaryRegion: "eu-west" }, "eu-west")).state).toBe(
      "Done",
    );
  });
});

describe("promotionProgress", () => {
  const outcome = (reason: Reason) => ({ reason, message: "m" });
  it.each([
    ["Pending", Reason.WaitingForZeroLag, "Reconciling"],
    ["Pending", Reason.AwaitingApproval, "Stalled"],
    ["Fencing", Reason.Fencing, "Reconciling"],
    ["Verifying", Reason.Verifying, "Reconciling"],
    ["Succeeded", Reason.PromotionSucceeded, "Done"],
    ["Failed", Reason.PromotionTimedOut, "Stalled"],
    ["Aborted", Reason.PrimaryRecovered, "Stalled"],
  ] as const)("%s (%s) is %s", (phase, reason, state) => {
    expect(promotionProgress(phase, outcome(reason))).toEqual({ state, ...outcome(reason) });
  });
});

describe("setProgress", () => {
  const t0 = new Date("2026-01-02T03:04:05Z");
  const t1 = new Date("2026-01-02T03:05:00Z");
  const at = (state: Progress["state"]) => ({ state, reason: Reason.FailoverInProgress, message: state });

  it("never sets Reconciling and Stalled True together, and keeps both present", () => {
    for (const state of ["Reconciling", "Stalled", "Done"] as const) {
      const c = setProgress(undefined, at(state), 3, t0);
      expect(findCondition(c, "Reconciling")?.status).toBe(state === "Reconciling" ? "True" : "False");
      expect(findCondition(c, "Stalled")?.status).toBe(state === "Stalled" ? "True" : "False");
      expect(c.every((x) => x.observedGeneration === 3)).toBe(true);
    }
  });

  it("moves lastTransitionTime only on the condition that flips", () => {
    const before = setProgress(undefined, at("Reconciling"), 1, t0);
    const after = setProgress(before, at("Done"), 1, t1);
    expect(findCondition(after, "Reconciling")?.lastTransitionTime).toBe("2026-01-02T03:05:00Z");
    expect(findCondition(after, "Stalled")?.lastTransitionTime).toBe("2026-01-02T03:04:05Z");
    expect(setProgress(after, at("Done"), 1, t1)).toBe(after); // unchanged: no status write
  });
});
