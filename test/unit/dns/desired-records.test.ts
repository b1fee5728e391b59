import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type DesiredRecordsInput,
  desiredRecords,
  type RegionDnsView,
  ttlWarning,
} from "../../../src/dns/desired-records.ts";

/** 1-6 regions with distinct names and endpoints, any health, some fenced; the primary unfenced. */
const input = (topology: DesiredRecordsInput["topology"]) =>
  fc
    .array(
      fc.record({
        healthy: fc.constantFrom(true, false, undefined),
        fenced: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    )
    .chain((states) =>
      fc.record({
        regions: fc.constant(
          states.map((s, i): RegionDnsView => ({ name: `r${i}`, endpoint: `192.0.2.${i + 1}`, ...s })),
        ),
        primaryIndex: fc.nat({ max: states.length - 1 }),
        ttlSeconds: fc.integer({ min: 1, max: 3600 }),
      }),
    )
    .map(({ regions, primaryIndex, ttlSeconds }): DesiredRecordsInput => {
      const withPrimary = regions.map((r, i) => (i === primaryIndex ? { ...r, fenced: false } : r));
      return {
        hostname: "app.example.com",
        recordType: "A",
        topology,
        primary: `r${primaryIndex}`,
        regions: withPrimary,
        ttlSeconds,
      };
    });

const endpointOf = (i: DesiredRecordsInput, name: string) => i.regions.find((r) => r.name === name)?.endpoint;

describe("desired records", () => {
  it("ActivePassive names the primary's endpoint alone, whatever the other regions' health", () => {
    fc.assert(
      fc.property(input("ActivePassive"), (i) => {
        const plan = desiredRecords(i);
        expect(plan.records).toEqual({
          hostname: i.hostname,
          recordType: "A",
          ttlSeconds: i.ttlSeconds,
          targets: [endpointOf(i, i.primary)],
        });
        expect(plan.notice).toBeUndefined();
      }),
    );
  });

  it("ActiveActive names exactly the healthy, unfenced regions; with none it keeps the primary and says so", () => {
    fc.assert(
      fc.property(input("ActiveActive"), (i) => {
        const plan = desiredRecords(i);
        const serving = i.regions.filter((r) => r.healthy === true && !r.fenced).map((r) => r.endpoint);
        expect(plan.records.targets.length).toBeGreaterThan(0);
        if (serving.length > 0) {
          expect(plan.records.targets).toEqual(serving);
          expect(plan.notice).toBeUndefined();
        } else {
          expect(plan.records.targets).toEqual([endpointOf(i, i.primary)]);
          expect(plan.notice?.reason).toBe("NoHealthyDnsTarget");
          expect(plan.notice?.message).toContain(i.primary);
        }
      }),
    );
  });

  it("never names a fenced region (invariant 7)", () => {
    fc.assert(
      fc.property(fc.oneof(input("ActivePassive"), input("ActiveActive")), (i) => {
        const fenced = i.regions.filter((r) => r.fenced).map((r) => r.endpoint);
        expect(desiredRecords(i).records.targets.some((t) => fenced.includes(t))).toBe(false);
      }),
    );
  });

  it("a region leaves the ActiveActive set when it turns unhealthy and returns when healthy again", () => {
    const regions = (euHealthy: boolean): RegionDnsView[] => [
      { name: "us", endpoint: "192.0.2.1", healthy: true },
      { name: "eu", endpoint: "192.0.2.2", healthy: euHealthy },
    ];
    const base = {
      hostname: "a.example.com",
      recordType: "A" as const,
      topology: "ActiveActive" as const,
      primary: "us",
      ttlSeconds: 30,
    };
    expect(desiredRecords({ ...base, regions: regions(true) }).records.targets).toEqual([
      "192.0.2.1",
      "192.0.2.2",
    ]);
    expect(desiredRecords({ ...base, regions: regions(false) }).records.targets).toEqual(["192.0.2.1"]);
  });

  it("refuses to name a fenced or unknown primary, and ActiveActive with a CNAME", () => {
    const base: DesiredRecordsInput = {
      hostname: "a.example.com",
      recordType: "A",
      topology: "ActivePassive",
      primary: "us",
      regions: [{ name: "us", endpoint: "192.0.2.1", healthy: true, fenced: true }],
      ttlSeconds: 30,
    };
    expect(() => desiredRecords(base)).toThrow(/fenced/);
    expect(() => desiredRecords({ ...base, primary: "eu" })).toThrow(/not one of the app's regions/);
    expect(() =>
      desiredRecords({
        ...base,
        topology: "ActiveActive",
        recordType: "CNAME",
        regions: [{ name: "us", endpoint: "us.example.com", healthy: true }],
      }),
    ).toThrow(/CNAME/);
  });

  it("warns about a TTL above 60 s, naming the policy and the fix, and not at or below it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400 }), (ttl) => {
        const warning = ttlWarning(ttl, "critical");
        if (ttl <= 60) expect(warning).toBeUndefined();
        else {
          expect(warning?.reason).toBe("DnsTtlTooHigh");
          expect(warning?.message).toContain(`${ttl} s`);
          expect(warning?.message).toContain("FailoverPolicy critical");
        }
      }),
    );
  });
});
