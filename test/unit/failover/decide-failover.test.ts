import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CandidateRegion,
  decideFailover,
  disqualification,
  type FailoverInputs,
} from "../../../src/failover/decide-failover.ts";

const names = ["us-east", "eu-west", "ap-south", "sa-east"];
const jurisdictions = ["us", "eu", "in", undefined];

const region = (name: string) =>
  fc.record({
    name: fc.constant(name),
    priority: fc.integer({ min: 1, max: 4 }),
    healthy: fc.constantFrom(true, false, undefined),
    jurisdiction: fc.constantFrom(...jurisdictions),
    lagBytes: fc.option(fc.integer({ min: 0, max: 4096 }), { nil: undefined }),
  });

const inputs: fc.Arbitrary<FailoverInputs> = fc.integer({ min: 2, max: 4 }).chain((n) =>
  fc.record({
    primary: fc.constantFrom(...names.slice(0, n)),
    regions: fc.tuple(...names.slice(0, n).map(region)) as fc.Arbitrary<CandidateRegion[]>,
    suspended: fc.boolean(),
    mode: fc.constantFrom("Automatic" as const, "Manual" as const),
    guardsLag: fc.boolean(),
    maxLagBytes: fc.integer({ min: 0, max: 2048 }),
    allowDataLoss: fc.boolean(),
    minHealthyRegions: fc.integer({ min: 0, max: 3 }),
    minSecondsBetweenFailovers: fc.integer({ min: 0, max: 600 }),
    allowedJurisdictions: fc.option(fc.subarray(["us", "eu", "in"]), { nil: undefined }),
    lastFailoverAt: fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: undefined }),
    promotionInProgress: fc.boolean(),
    now: fc.integer({ min: 0, max: 2_000_000 }),
  }),
);

/** The rules of a policy that allows a failover, for the example-based tests below. */
const permissive = {
  suspended: false,
  mode: "Automatic",
  guardsLag: true,
  maxLagBytes: 1024,
  allowDataLoss: false,
  minHealthyRegions: 1,
  minSecondsBetweenFailovers: 600,
} as const;

describe("decideFailover", () => {
  it("fails over only away from an unhealthy primary, when no rule holds it back", () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const d = decideFailover(i);
        if (!d.failover) return;
        expect(i.promotionInProgress).toBe(false);
        expect(i.suspended).toBe(false);
        expect(i.regions.find((r) => r.name === i.primary)?.healthy).toBe(false);
        // Invariant 8: no second automatic failover within minSecondsBetweenFailovers.
        if (i.lastFailoverAt !== undefined) {
          expect(i.now - i.lastFailoverAt).toBeGreaterThanOrEqual(i.minSecondsBetweenFailovers * 1000);
        }
        const healthyOthers = i.regions.filter((r) => r.name !== i.primary && r.healthy === true);
        expect(healthyOthers.length).toBeGreaterThanOrEqual(i.minHealthyRegions);
      }),
      { numRuns: 2000 },
    );
  });

  it("picks a healthy target inside the jurisdictions and the lag guard, the most preferred of them", () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const d = decideFailover(i);
        if (!d.failover) return;
        const target = i.regions.find((r) => r.name === d.target) as CandidateRegion;
        expect(target.name).not.toBe(i.primary);
        expect(target.healthy).toBe(true);
        // Invariant 9: never into a region outside the allowed jurisdictions.
        if (i.allowedJurisdictions) expect(i.allowedJurisdictions).toContain(target.jurisdiction);
        // Invariant 3: never a replica beyond the guard unless allowDataLoss.
        if (i.guardsLag && !i.allowDataLoss) {
          expect(target.lagBytes).toBeDefined();
          expect(target.lagBytes as number).toBeLessThanOrEqual(i.maxLagBytes);
        }
        const eligible = i.regions.filter((r) => r.name !== i.primary && !disqualification(r, i));
        expect(Math.min(...eligible.map((r) => r.priority))).toBe(target.priority);
        expect(d.approved).toBe(i.mode === "Automatic");
      }),
      { numRuns: 2000 },
    );
  });

  it("does fail over when everything allows it (the rules are not vacuous)", () => {
    const d = decideFailover({
      primary: "us-east",
      regions: [
        { name: "us-east", priority: 1, healthy: false, jurisdiction: "us" },
        { name: "eu-west", priority: 2, healthy: true, jurisdiction: "eu", lagBytes: 0 },
        { name: "us-west", priority: 3, healthy: true, jurisdiction: "us", lagBytes: 10 },
      ],
      ...permissive,
      allowedJurisdictions: ["us"],
      lastFailoverAt: 0,
      promotionInProgress: false,
      now: 601_000,
    });
    expect(d).toMatchObject({ failover: true, target: "us-west", approved: true, reason: "AutomaticPolicy" });
  });

  it.each<[string, Partial<FailoverInputs>, string]>([
    ["suspended", { suspended: true }, "Suspended"],
    ["a promotion running", { promotionInProgress: true }, "FailoverInProgress"],
    ["the last failover 10 s ago", { lastFailoverAt: 990_000 }, "TooSoonSinceLastFailover"],
    ["minHealthyRegions 2", { minHealthyRegions: 2 }, "TooFewHealthyRegions"],
    ["the target outside the jurisdictions", { allowedJurisdictions: ["us"] }, "JurisdictionNotAllowed"],
    ["the target lagging", { maxLagBytes: 10 }, "ReplicationLagTooHigh"],
  ])("holds back with %s, saying why", (_what, change, reason) => {
    const base: FailoverInputs = {
      primary: "us-east",
      regions: [
        { name: "us-east", priority: 1, healthy: false, jurisdiction: "us" },
        { name: "eu-west", priority: 2, healthy: true, jurisdiction: "eu", lagBytes: 100 },
      ],
      ...permissive,
      promotionInProgress: false,
      now: 1_000_000,
    };
    const d = decideFailover({ ...base, ...change });
    expect(d.failover).toBe(false);
    expect(d.reason).toBe(reason);
    expect(d.message.length).toBeGreaterThan(10);
  });

  it("never ping-pongs: over any sequence of observations, failovers are minSecondsBetweenFailovers apart", () => {
    const step = fc.record({
      advanceSeconds: fc.integer({ min: 1, max: 120 }),
      health: fc.array(fc.constantFrom(true, false, undefined), { minLength: 3, maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 80 }),
        fc.integer({ min: 0, max: 900 }),
        (steps, minSeconds) => {
          let now = 0;
          let primary = "us-east";
          let lastFailoverAt: number | undefined;
          const failoverTimes: number[] = [];
          for (const s of steps) {
            now += s.advanceSeconds * 1000;
            const regions = ["us-east", "eu-west", "ap-south"].map((name, k) => ({
              name,
              priority: k + 1,
              healthy: s.health[k],
            }));
            const d = decideFailover({
              primary,
              regions,
              suspended: false,
              mode: "Automatic",
              guardsLag: false,
              maxLagBytes: 0,
              allowDataLoss: false,
              minHealthyRegions: 1,
              minSecondsBetweenFailovers: minSeconds,
              lastFailoverAt,
              promotionInProgress: false,
              now,
            });
            if (d.failover) {
              primary = d.target;
              lastFailoverAt = now;
              failoverTimes.push(now);
            }
          }
          for (let k = 1; k < failoverTimes.length; k++) {
            expect((failoverTimes[k] as number) - (failoverTimes[k - 1] as number)).toBeGreaterThanOrEqual(
              minSeconds * 1000,
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
