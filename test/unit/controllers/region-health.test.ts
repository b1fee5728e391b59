import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  nextRegionHealth,
  observationCounts,
  observationDue,
  observeRegion,
  type RegionHealth,
  type RegionInputs,
} from "../../../src/controllers/regionalapp/health.ts";

const thresholds = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 6 }),
  successThreshold: fc.integer({ min: 1, max: 6 }),
});
const observations = fc.array(fc.boolean(), { maxLength: 60 });

function run(seq: boolean[], t: { failureThreshold: number; successThreshold: number }): RegionHealth[] {
  const states: RegionHealth[] = [];
  let state: RegionHealth | undefined;
  for (const ok of seq) {
    state = nextRegionHealth(
      state,
      { ok, reason: ok ? "RegionHealthy" : "WorkloadUnavailable", message: "" },
      t,
    );
    states.push(state);
  }
  return states;
}

/** Length of the run of equal results ending at index i. */
function trailingRun(seq: boolean[], i: number): number {
  let n = 0;
  while (i - n >= 0 && seq[i - n] === seq[i]) n++;
  return n;
}

describe("nextRegionHealth (hysteresis)", () => {
  it("is unhealthy exactly when failureThreshold failures in a row were seen, healthy after successThreshold successes", () => {
    fc.assert(
      fc.property(observations, thresholds, (seq, t) => {
        const states = run(seq, t);
        states.forEach((s, i) => {
          const runLength = trailingRun(seq, i);
          if (!seq[i] && runLength >= t.failureThreshold) expect(s.healthy).toBe(false);
          if (seq[i] && runLength >= t.successThreshold) expect(s.healthy).toBe(true);
          // Below the threshold the verdict is the one before this observation.
          const previous = i === 0 ? undefined : states[i - 1]?.healthy;
          const threshold = seq[i] ? t.successThreshold : t.failureThreshold;
          if (runLength < threshold) expect(s.healthy).toBe(previous);
          expect(s.consecutiveFailures).toBeLessThanOrEqual(t.failureThreshold);
          expect(s.consecutiveSuccesses).toBeLessThanOrEqual(t.successThreshold);
          expect(s.consecutiveFailures === 0 || s.consecutiveSuccesses === 0).toBe(true);
        });
      }),
    );
  });

  it("flips only on the observation that reaches a threshold", () => {
    fc.assert(
      fc.property(observations, thresholds, (seq, t) => {
        const states = run(seq, t);
        for (let i = 1; i < states.length; i++) {
          if (states[i]?.healthy !== states[i - 1]?.healthy) {
            const threshold = seq[i] ? t.successThreshold : t.failureThreshold;
            expect(trailingRun(seq, i)).toBe(threshold);
          }
        }
      }),
    );
  });

  it("turns a healthy region unhealthy on the third failure with failureThreshold 3", () => {
    const t = { failureThreshold: 3, successThreshold: 2 };
    const states = run([true, true, false, false, false, true, true], t);
    expect(states.map((s) => s.healthy)).toEqual([undefined, true, true, true, false, false, true]);
  });
});

describe("observationDue", () => {
  it("counts at most one observation per interval, with a tenth of tolerance", () => {
    expect(observationDue(undefined, 1000, 2)).toBe(true);
    expect(observationDue(10_000, 11_000, 2)).toBe(false);
    expect(observationDue(10_000, 11_800, 2)).toBe(true);
  });
});

describe("observationCounts", () => {
  const intervalSeconds = 2;
  /** Feeds (time, ok) observations through the counting rule and the thresholds, as the reconciler does. */
  function feed(
    seq: { at: number; ok: boolean }[],
    t: { failureThreshold: number; successThreshold: number },
  ) {
    let state: (RegionHealth & { observedAt: number | undefined }) | undefined;
    const counted: { at: number; state: RegionHealth }[] = [];
    for (const { at, ok } of seq) {
      if (!observationCounts(state, ok, at, intervalSeconds)) continue;
      const next = nextRegionHealth(
        state,
        { ok, reason: ok ? "RegionHealthy" : "WorkloadUnavailable", message: "" },
        t,
      );
      state = { ...next, observedAt: at };
      counted.push({ at, state: next });
    }
    return counted;
  }

  it("counts a change at once and the next equal observation an interval later", () => {
    const t = { failureThreshold: 3, successThreshold: 2 };
    // healthy, then the workload fails at 4.5 s: failures count at 4.5, 6.5, 8.5 -> unhealthy at 8.5 s (2 intervals).
    const seq = [0, 2000, 4000, 4500, 5000, 6000, 6500, 8000, 8500].map((at) => ({ at, ok: at < 4500 }));
    const counted = feed(seq, t);
    expect(counted.map((c) => c.at)).toEqual([0, 2000, 4000, 4500, 6500, 8500]);
    expect(counted.at(-1)?.state.healthy).toBe(false);
  });

  it("never reaches a threshold sooner than (threshold - 1) x 0.9 intervals after the run began, however often it is asked", () => {
    const seqs = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3000 }), ok: fc.boolean() }), {
      maxLength: 80,
    });
    fc.assert(
      fc.property(seqs, thresholds, (raw, t) => {
        let at = 0;
        const seq = raw.map(({ gap, ok }) => {
          at += gap;
          return { at, ok };
        });
        const counted = feed(seq, t);
        for (let i = 1; i < counted.length; i++) {
          const now = counted[i];
          if (now?.state.healthy === counted[i - 1]?.state.healthy || now === undefined) continue;
          const k = now.state.healthy ? t.successThreshold : t.failureThreshold;
          const first = counted[i - k + 1];
          expect(now.at - (first?.at ?? 0)).toBeGreaterThanOrEqual((k - 1) * intervalSeconds * 900);
        }
      }),
    );
  });
});

describe("observeRegion", () => {
  const base: RegionInputs = {
    cluster: { reachable: true, message: "" },
    clusterRef: "us-east",
    workloadRef: "Deployment shop/checkout",
    workload: { kind: "Deployment", replicas: 2, availableReplicas: 2, availableCondition: true },
    workloadKnown: true,
  };

  it.each<[string, Partial<RegionInputs>, RegExp]>([
    ["missing MemberCluster", { cluster: undefined }, /MemberCluster us-east not found/],
    [
      "unreachable cluster",
      { cluster: { reachable: false, message: "ECONNREFUSED" } },
      /unreachable: ECONNREFUSED/,
    ],
    ["missing workload", { workload: undefined }, /not found in cluster us-east/],
    [
      "scaled to zero",
      { workload: { kind: "Deployment", replicas: 0, availableReplicas: 0 } },
      /scaled to 0/,
    ],
    [
      "Deployment not Available",
      { workload: { kind: "Deployment", replicas: 4, availableReplicas: 1, availableCondition: false } },
      /1\/4 replicas available/,
    ],
    [
      "StatefulSet short of replicas",
      { workload: { kind: "StatefulSet", replicas: 3, availableReplicas: 2 } },
      /2\/3/,
    ],
    ["failing endpoint", { endpoint: { ok: false, message: "HTTP 503" } }, /health endpoint: HTTP 503/],
  ])("fails for a %s, saying why", (_what, change, message) => {
    const obs = observeRegion({ ...base, ...change });
    expect(obs?.ok).toBe(false);
    expect(obs?.message).toMatch(message);
  });

  it("passes a Deployment mid-rollout that is still Available", () => {
    const obs = observeRegion({
      ...base,
      workload: { kind: "Deployment", replicas: 4, availableReplicas: 3, availableCondition: true },
    });
    expect(obs).toEqual({ ok: true, reason: "RegionHealthy", message: "3/4 replicas available" });
  });

  it("concludes nothing before the first cluster probe or while the workload cache loads", () => {
    expect(observeRegion({ ...base, cluster: { reachable: undefined, message: "" } })).toBeUndefined();
    expect(observeRegion({ ...base, workloadKnown: false, workload: undefined })).toBeUndefined();
  });
});
