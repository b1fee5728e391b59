import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FailoverPolicySpec } from "../../../../src/api/types.generated.ts";
import { reviewPolicy } from "../../../../src/controllers/failoverpolicy/review.ts";
import { expiryMs, timingOf } from "../../../../src/fencing/protocol/timing.ts";

/** The defaults the CRD fills in for an empty spec. */
const defaults: FailoverPolicySpec = {
  mode: "Automatic",
  healthCheck: { intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 2 },
  fencing: {
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 2,
    action: "ScaleToZero",
  },
  promotion: { maxLagBytes: 1048576, allowDataLoss: false, timeoutSeconds: 60 },
  dns: { ttlSeconds: 30 },
  failback: { mode: "Manual", stabilizationSeconds: 300 },
  minSecondsBetweenFailovers: 600,
  minHealthyRegions: 1,
};
const env = { probeIntervalMs: 2000, clusterJurisdictions: ["us", "eu", undefined] };
const messages = (spec: FailoverPolicySpec, e = env) => {
  const r = reviewPolicy(spec, e);
  return { errors: r.errors.map((f) => f.message), warnings: r.warnings.map((f) => f.message) };
};

describe("reviewPolicy: what CEL cannot check", () => {
  it("finds nothing wrong with the defaults", () => {
    expect(messages(defaults)).toEqual({ errors: [], warnings: [] });
  });

  it("refuses a promotion timeout that cannot outlast the lease expiry wait", () => {
    const spec = {
      ...defaults,
      fencing: { ...defaults.fencing, leaseDurationSeconds: 60, renewDeadlineSeconds: 40 },
    };
    const { errors } = messages(spec);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^promotion\.timeoutSeconds \(60\) must exceed the lease expiry wait \(65 s/);
    expect(errors[0]).toContain("raise promotion.timeoutSeconds above 65");
  });

  it("is an error exactly when a failover away from an unreachable region would time out", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 3600 }), fc.integer({ min: 1, max: 3600 }), (lease, timeout) => {
        const fencing = { ...defaults.fencing, leaseDurationSeconds: lease, renewDeadlineSeconds: lease - 1 };
        const spec = { ...defaults, fencing, promotion: { ...defaults.promotion, timeoutSeconds: timeout } };
        const timesOut = timeout * 1000 <= expiryMs(timingOf(fencing));
        expect(messages(spec).errors.length > 0).toBe(timesOut);
      }),
    );
  });

  it("warns when the renew deadline is too short for the failsafe", () => {
    const spec = { ...defaults, fencing: { ...defaults.fencing, renewDeadlineSeconds: 7 } };
    expect(messages(spec).warnings).toEqual([
      expect.stringMatching(/^fencing\.renewDeadlineSeconds \(7\) is below 8/),
    ]);
  });

  it("warns when health is checked more often than the operator probes clusters", () => {
    const spec = { ...defaults, healthCheck: { ...defaults.healthCheck, intervalSeconds: 1 } };
    expect(messages(spec).warnings).toEqual([
      expect.stringContaining("shorter than the operator's --probe-interval-seconds (2 s)"),
    ]);
  });

  it("warns when no registered cluster is in an allowed jurisdiction, or too few clusters exist", () => {
    expect(messages({ ...defaults, allowedJurisdictions: ["eu"] }).warnings).toEqual([]);
    expect(messages({ ...defaults, allowedJurisdictions: ["ch"] }).warnings).toEqual([
      expect.stringContaining("no registered MemberCluster has a jurisdiction in allowedJurisdictions (ch)"),
    ]);
    expect(messages({ ...defaults, minHealthyRegions: 4 }).warnings).toEqual([
      expect.stringContaining("minHealthyRegions (4) exceeds the 3 registered MemberClusters"),
    ]);
  });
});
