import type { V1Lease } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { leaseView, parseWorkloadRef } from "../../../src/fencing/agent/lease-view.ts";

function lease(annotations: Record<string, string>, spec: V1Lease["spec"] = {}): V1Lease {
  return {
    metadata: {
      name: "meridian-shop",
      namespace: "shop",
      labels: { "meridian.dev/app": "shop" },
      annotations,
    },
    spec: { holderIdentity: "us-east", leaseDurationSeconds: 15, ...spec },
  };
}

describe("leaseView", () => {
  it("reads what the hub wrote: holder, epoch, renewal, workload, database Secret, renew deadline", () => {
    const view = leaseView(
      lease(
        {
          "meridian.dev/epoch": "7",
          "meridian.dev/workload": "StatefulSet/shop/db-writer",
          "meridian.dev/database-secret": "pg-us-east",
          "meridian.dev/renew-deadline-seconds": "4",
        },
        // A watched Lease carries strings, a listed one Dates: both must give the same instant.
        { renewTime: "2030-01-02T03:04:05.123456Z" as unknown as Date },
      ),
    );
    expect(view).toMatchObject({
      app: "shop",
      holder: "us-east",
      epoch: 7,
      renewTimeMs: Date.parse("2030-01-02T03:04:05.123Z"),
      renewDeadlineMs: 4000,
      workload: { kind: "StatefulSet", namespace: "shop", name: "db-writer" },
      databaseSecret: "pg-us-east",
    });
  });

  it("takes two thirds of the lease duration when the hub sets no renew deadline", () => {
    expect(leaseView(lease({}, { leaseDurationSeconds: 6 })).renewDeadlineMs).toBe(4000);
    expect(leaseView(lease({ "meridian.dev/renew-deadline-seconds": "soon" })).renewDeadlineMs).toBe(10_000);
  });
});

describe("parseWorkloadRef", () => {
  it.each([
    ["Deployment/shop/checkout", { kind: "Deployment", namespace: "shop", name: "checkout" }],
    ["DaemonSet/shop/checkout", undefined],
    ["Deployment/checkout", undefined],
    ["Deployment/shop/checkout/extra", undefined],
    ["Deployment//checkout", undefined],
  ])("%s", (text, expected) => {
    expect(parseWorkloadRef(text)).toEqual(expected);
  });
});
