import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lagBeyondGuard } from "../../../src/failover/lag-guard.ts";

describe("lagBeyondGuard", () => {
  it("passes a caught-up replica however old its last replayed transaction", () => {
    expect(lagBeyondGuard({ bytes: 0, replayAgeSeconds: 86_400 }, { maxLagBytes: 0, maxLagSeconds: 1 })).toBe(
      undefined,
    );
  });

  it("refuses by bytes, then by seconds, and an unmeasurable age when seconds are guarded", () => {
    expect(lagBeyondGuard({ bytes: 2048, replayAgeSeconds: 0 }, { maxLagBytes: 1024 })).toBe(
      "2048 bytes behind, above maxLagBytes 1024",
    );
    expect(
      lagBeyondGuard({ bytes: 10, replayAgeSeconds: 7.4 }, { maxLagBytes: 1024, maxLagSeconds: 5 }),
    ).toBe("10 bytes behind with its last replayed transaction 7 s old, above maxLagSeconds 5");
    expect(
      lagBeyondGuard({ bytes: 10, replayAgeSeconds: undefined }, { maxLagBytes: 1024, maxLagSeconds: 5 }),
    ).toMatch(/age of its last replayed transaction is unknown, so maxLagSeconds 5 cannot be checked/);
    expect(lagBeyondGuard({ bytes: 10, replayAgeSeconds: undefined }, { maxLagBytes: 1024 })).toBe(undefined);
  });

  it("refuses exactly when data would be lost beyond either limit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -100, max: 10_000 }),
        fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        (bytes, age, maxLagBytes, maxLagSeconds) => {
          const limits = maxLagSeconds === undefined ? { maxLagBytes } : { maxLagBytes, maxLagSeconds };
          const refused = lagBeyondGuard({ bytes, replayAgeSeconds: age }, limits) !== undefined;
          const secondsBreached = maxLagSeconds !== undefined && (age === undefined || age > maxLagSeconds);
          expect(refused).toBe(bytes > 0 && (bytes > maxLagBytes || secondsBreached));
        },
      ),
    );
  });
});
