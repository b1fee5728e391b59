// The randomized model of the whole fencing protocol (test/unit/fencing/model/world.ts) run against
// the real pure decisions. A failing run prints its seed and configuration; replay it with
// fc.assert(..., { seed, path }) as fast-check prints, or call runModel(config) directly.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expiryMs, failsafeMinRenewDeadlineMs } from "../../../src/fencing/protocol/timing.ts";
import { modelConfig, regionNames, timing } from "./model/arbitraries.ts";
import { type ModelConfig, type Mutant, operatorNode, runModel } from "./model/world.ts";

const durationMs = 90_000;

// Generous timeouts: CI runs these beside every other unit file on two cores.
const timeoutMs = 180_000;

describe("fencing protocol model", () => {
  it(
    "never has two writable primaries, whatever fails and whenever the hub decides to promote (≥ 100,000 steps)",
    () => {
      let steps = 0;
      fc.assert(
        fc.property(modelConfig({ durationMs, maxFaults: 12 }), (cfg) => {
          const result = runModel(cfg, durationMs);
          steps += result.steps;
          expect(result.violations).toEqual([]);
        }),
        { numRuns: Number(process.env.MODEL_RUNS ?? 130) },
      );
      expect(steps).toBeGreaterThanOrEqual(100_000);
    },
    timeoutMs,
  );

  it(
    "losing the operator (crashes, leader changes, its hub link) never fences a primary or starts a failover",
    () => {
      const operatorFaults = fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: durationMs }),
          fault: fc.oneof(
            fc.record({
              kind: fc.constant("crashOperator" as const),
              downMs: fc.integer({ min: 100, max: 40_000 }),
            }),
            fc.record({
              kind: fc.constantFrom("cut" as const, "heal" as const),
              link: fc.constant(`hub-api|${operatorNode}`),
            }),
          ),
        }),
        { maxLength: 10 },
      );
      fc.assert(
        fc.property(
          modelConfig({ durationMs, operator: "health", maxFaults: 0 }),
          operatorFaults,
          (cfg, faults) => {
            const result = runModel({ ...cfg, faults }, durationMs);
            expect(result.fencedAt).toEqual({});
            expect(result.promotions).toEqual([]);
          },
        ),
        { numRuns: 40 },
      );
    },
    timeoutMs,
  );

  it(
    "the hub's API server down for up to 40 s (renewDeadline ≥ 8 s) fences nothing and promotes nothing, and nothing flaps when it returns",
    () => {
      fc.assert(
        fc.property(
          modelConfig({ durationMs, operator: "health", maxFaults: 0 }),
          fc.integer({ min: 1000, max: 20_000 }),
          fc.integer({ min: 1000, max: 40_000 }),
          (cfg, downAt, downForMs) => {
            const faults = [
              { at: downAt, fault: { kind: "hubApi" as const, up: false } },
              { at: downAt + downForMs, fault: { kind: "hubApi" as const, up: true } },
            ];
            fc.pre(cfg.timing.renewDeadlineMs >= failsafeMinRenewDeadlineMs);
            const result = runModel({ ...cfg, faults }, durationMs);
            expect(result.fencedAt).toEqual({});
            expect(result.promotions).toEqual([]);
          },
        ),
        { numRuns: 40 },
      );
    },
    timeoutMs,
  );

  it(
    "with the primary region cut off and a majority connected, a promotion completes within detection + lease expiry + margin",
    () => {
      fc.assert(
        fc.property(
          fc.constantFrom(2, 3, 5),
          timing,
          fc.integer({ min: 1000, max: 6000 }),
          fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          fc.integer({ min: 2000, max: 10_000 }),
          (n, t, detectionMs, seed, cutAt) => {
            const regions = regionNames(n);
            const cfg: ModelConfig = {
              regions,
              timing: t,
              rates: {},
              wallOffsetMs: {},
              maxDelayMs: 100,
              faults: [{ at: cutAt, fault: { kind: "isolatePrimary" } }],
              operator: "health",
              detectionMs,
              mutant: "none",
              seed,
            };
            const result = runModel(cfg, cutAt + detectionMs + expiryMs(t) + 10_000);
            expect(result.violations).toEqual([]);
            const first = result.promotions[0];
            expect(first, "no promotion happened").toBeDefined();
            // Lease expiry is counted from the last renewal, before the cut; 3 s covers list periods and delays.
            expect(first?.at).toBeLessThanOrEqual(cutAt + Math.max(detectionMs, expiryMs(t)) + 3000);
          },
        ),
        { numRuns: 60 },
      );
    },
    timeoutMs,
  );

  // Each rule the protocol depends on, removed: the model must find a split brain.
  const mutants: { mutant: Mutant; rule: string }[] = [
    { mutant: "noMajority", rule: "the hub promotes without a majority" },
    { mutant: "silentPeerPromises", rule: "a peer that does not answer counts as a promise" },
    {
      mutant: "expiryFromRenewTime",
      rule: "expiry measured from the holder's renewTime (another machine's clock)",
    },
  ];
  for (const { mutant, rule } of mutants) {
    it(
      `finds two writable primaries when ${rule}`,
      () => {
        const outcome = fc.check(
          fc.property(
            modelConfig({ durationMs, mutant, maxFaults: 12 }),
            (cfg) => runModel(cfg, durationMs).violations.length === 0,
          ),
          { numRuns: 2000, endOnFailure: true },
        );
        expect(outcome.failed).toBe(true);
      },
      timeoutMs,
    );
  }
});
