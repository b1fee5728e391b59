import { describe, expect, it } from "vitest";
import { planFence, planUnfence } from "../../../src/cli/commands/fence-plan.ts";
import { checkout } from "./fixtures.ts";

const facts = { cluster: "shop-us-east", workload: "Deployment shop/checkout", mode: "Automatic" as const };
const bothHealthy = checkout({
  status: {
    currentPrimary: "us-east",
    epoch: 3,
    regions: [
      { name: "us-east", healthy: true },
      { name: "eu-west", healthy: true },
    ],
  },
});

describe("planning a manual fence", () => {
  it("fences the primary's workload and database at the current epoch, and says Meridian will fail over", () => {
    const plan = planFence(bothHealthy, "us-east", { ...facts, database: "primary" });
    expect(plan.refusal).toBeUndefined();
    expect(plan.steps[0]).toContain(
      "scale Deployment shop/checkout in MemberCluster shop-us-east to 0 replicas",
    );
    expect(plan.steps[1]).toContain("fence its database at epoch 3");
    expect(plan.consequence).toContain("fails over to eu-west (policy Automatic)");
  });

  it("leaves a replica's database alone", () => {
    const plan = planFence(bothHealthy, "eu-west", { ...facts, database: "replica" });
    expect(plan.steps[1]).toContain("it is a replica");
    expect(plan.consequence).toContain("eu-west stops being a failover target");
  });

  it("under a Manual policy a failover waits for approval", () => {
    expect(
      planFence(bothHealthy, "us-east", { ...facts, mode: "Manual", database: "primary" }).consequence,
    ).toContain("waits for approval");
  });

  it("refuses to fence the only healthy region, which --force gets past", () => {
    const onlyHealthy = checkout({
      status: {
        currentPrimary: "eu-west",
        epoch: 1,
        regions: [
          { name: "us-east", healthy: false },
          { name: "eu-west", healthy: true },
        ],
      },
    });
    const plan = planFence(onlyHealthy, "eu-west", { ...facts, database: "primary" });
    expect(plan.refusal).toEqual({
      message: expect.stringContaining("eu-west is the only healthy region of RegionalApp shop/checkout"),
      force: true,
    });
  });

  it("refuses during a running promotion", () => {
    const moving = checkout({
      status: { handover: { from: "us-east", to: "eu-west", epoch: 2, promotionRef: "p1" } },
    });
    expect(planFence(moving, "us-east", { ...facts, database: "primary" }).refusal?.message).toContain(
      "ReplicaPromotion p1 is moving the primary",
    );
  });
});

describe("planning an unfence", () => {
  it("reopens the primary's own database only at the current epoch and scales the workload back", () => {
    const plan = planUnfence(bothHealthy, "us-east", { ...facts, database: "primary", replicasBefore: 2 });
    expect(plan.refusal).toBeUndefined();
    expect(plan.steps[0]).toContain(
      "reopen its database if Meridian's fence is recorded there at exactly epoch 3",
    );
    expect(plan.steps[1]).toContain("back to 2 replicas");
  });

  it("never reopens a former primary: it must be rebuilt as a replica first (no --force)", () => {
    const plan = planUnfence(checkout(), "us-east", { ...facts, database: "primary", replicasBefore: 2 });
    expect(plan.refusal?.force).toBe(false);
    expect(plan.refusal?.message).toContain("would make two writable databases");
    expect(plan.refusal?.message).toContain("Rebuild it as a replica of eu-west");
  });

  it("scales a workload that was already at zero when fenced to the standby size", () => {
    const plan = planUnfence(checkout(), "us-east", {
      ...facts,
      database: "replica",
      replicasBefore: 0,
      standbyReplicas: 3,
    });
    expect(plan.steps[0]).toContain("back to 3 replicas (it was already at 0 when fenced");
    expect(
      planUnfence(checkout(), "us-east", { ...facts, database: "replica", replicasBefore: 0 }).steps[0],
    ).toContain("back to 1 replicas");
  });

  it("returns a rebuilt replica's region to standby duty", () => {
    const plan = planUnfence(checkout(), "us-east", { ...facts, database: "replica", replicasBefore: 2 });
    expect(plan.refusal).toBeUndefined();
    expect(plan.steps).toEqual([expect.stringContaining("back to 2 replicas")]);
    expect(plan.consequence).toContain("standby again");
  });
});
