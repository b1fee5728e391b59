import { describe, expect, it } from "vitest";
import { formatPromotions } from "../../../src/cli/commands/promotions-view.ts";
import { promotion } from "./fixtures.ts";

const now = Date.parse("2026-11-27T10:05:00Z");

describe("meridian promotions view", () => {
  it("lists promotions oldest first with phase, epoch, RTO and lag", () => {
    const done = promotion("checkout-switchover-b", {
      metadata: {
        name: "checkout-switchover-b",
        namespace: "shop",
        creationTimestamp: "2026-11-27T10:04:00Z" as unknown as Date,
      },
      status: {
        phase: "Succeeded",
        fromRegion: "us-east",
        epoch: 2,
        rtoSeconds: 1.25,
        lagBytesAtPromotion: 0,
      },
    });
    const waiting = promotion("checkout-failover-1-1", {
      spec: {
        appRef: { name: "checkout" },
        targetRegion: "eu-west",
        type: "Failover",
        reason: "us-east unhealthy",
        allowDataLoss: false,
        dryRun: false,
        approved: false,
      },
      status: { phase: "Pending" },
    });
    const lines = formatPromotions([done, waiting], { now, color: false, allNamespaces: false });
    expect(lines[0]).toMatch(/^NAME\s+APP\s+TYPE\s+FROM\s+TO\s+PHASE\s+EPOCH\s+RTO\s+LAG\s+AGE\s+REASON$/);
    expect(lines[1]).toMatch(
      /^checkout-failover-1-1\s+checkout\s+Failover\s+-\s+eu-west\s+Pending \(unapproved\)\s+-\s+-\s+-\s+5m\s+us-east unhealthy$/,
    );
    expect(lines[2]).toMatch(
      /^checkout-switchover-b\s+checkout\s+Switchover\s+us-east\s+eu-west\s+Succeeded\s+2\s+1.3 s\s+0 B\s+60s\s+maintenance$/,
    );
  });

  it("adds the namespace column with -A and marks dry runs", () => {
    const dry = promotion("x", {
      spec: {
        appRef: { name: "checkout" },
        targetRegion: "eu-west",
        type: "Drill",
        allowDataLoss: false,
        dryRun: true,
        approved: true,
      },
    });
    const [header, row] = formatPromotions([dry], { now, color: false, allNamespaces: true });
    expect(header).toMatch(/^NAMESPACE\s+NAME/);
    expect(row).toMatch(/^shop\s+x\s+checkout\s+Drill/);
    expect(row).toMatch(/\[dry run\]$/);
  });
});
