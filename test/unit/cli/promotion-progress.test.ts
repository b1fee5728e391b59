import { describe, expect, it } from "vitest";
import { outcomeLine, progressLines, startProgress } from "../../../src/cli/commands/promotion-progress.ts";
import { promotion } from "./fixtures.ts";

const steps = [
  { name: "Pending", startedAt: "2026-11-27T10:00:00.000Z", completedAt: "2026-11-27T10:00:00.100Z" },
  { name: "Fencing", startedAt: "2026-11-27T10:00:00.100Z", message: "fencing us-east at epoch 2" },
  { name: "Promoting", startedAt: "2026-11-27T10:00:00.850Z", message: "promoting eu-west" },
];

describe("following a promotion", () => {
  it("prints each phase once, with the time since the operator picked it up", () => {
    const first = promotion("p", { status: { phase: "Fencing", steps: steps.slice(0, 2) } });
    const a = progressLines(first, startProgress(), false);
    expect(a.lines).toEqual(["    +0.00s  Pending", "    +0.10s  Fencing     fencing us-east at epoch 2"]);
    const again = progressLines(first, a.seen, false);
    expect(again.lines).toEqual([]);
    const next = progressLines(promotion("p", { status: { phase: "Promoting", steps } }), a.seen, false);
    expect(next.lines).toEqual(["    +0.85s  Promoting   promoting eu-west"]);
  });

  it("says what a phase waits for when that changes, and how to approve a held promotion", () => {
    const held = promotion("checkout-failover-1-1", {
      spec: {
        appRef: { name: "checkout" },
        targetRegion: "eu-west",
        type: "Failover",
        allowDataLoss: false,
        dryRun: false,
        approved: false,
      },
      status: {
        phase: "Pending",
        steps: steps.slice(0, 1),
        conditions: [
          {
            type: "Ready",
            status: "Unknown",
            reason: "Promoting",
            message: "waiting for spec.approved: true (the policy is Manual)",
            lastTransitionTime: "2026-11-27T10:00:00Z",
          },
        ],
      },
    });
    const r = progressLines(held, startProgress(), false);
    expect(r.lines).toContain("            … waiting for spec.approved: true (the policy is Manual)");
    expect(r.lines).toContain(
      "            waiting for approval: meridian approve checkout-failover-1-1 -n shop",
    );
    expect(progressLines(held, r.seen, false).lines).toEqual([]);
  });

  it("ends with the outcome: RTO and lag on success, the reason on failure", () => {
    const ok = promotion("p", {
      status: {
        phase: "Succeeded",
        fromRegion: "us-east",
        epoch: 2,
        rtoSeconds: 1.42,
        lagBytesAtPromotion: 0,
      },
    });
    expect(outcomeLine(ok, false)).toBe(
      "Succeeded: us-east → eu-west at epoch 2, RTO 1.4 s, lag at promotion 0 B",
    );
    const failed = promotion("p", {
      status: {
        phase: "Failed",
        conditions: [
          {
            type: "Ready",
            status: "False",
            reason: "PromotionFailed",
            message: "eu-west lags 3 MiB",
            lastTransitionTime: "2026-11-27T10:00:00Z",
          },
        ],
      },
    });
    expect(outcomeLine(failed, false)).toBe("Failed: eu-west lags 3 MiB");
  });
});
