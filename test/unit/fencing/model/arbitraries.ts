import fc from "fast-check";
import type { FencingTiming } from "../../../../src/fencing/protocol/timing.ts";
import {
  agentNode,
  dbNode,
  type Fault,
  hubApi,
  link,
  type ModelConfig,
  type Mutant,
  operatorNode,
} from "./world.ts";

/** Policy timings the CRD accepts (whole seconds; renewDeadline < leaseDuration; renewDeadline > 1.2 × retryPeriod). */
export const timing: fc.Arbitrary<FencingTiming> = fc
  .record({ retry: fc.integer({ min: 1, max: 3 }), lease: fc.integer({ min: 5, max: 20 }) })
  .chain(({ retry, lease }) =>
    fc.integer({ min: Math.floor(1.2 * retry) + 1, max: lease - 1 }).map((deadline) => ({
      leaseDurationMs: lease * 1000,
      renewDeadlineMs: deadline * 1000,
      retryPeriodMs: retry * 1000,
    })),
  );

export const regionNames = (n: number) =>
  ["us-east", "eu-west", "ap-south", "sa-east", "af-south"].slice(0, n);

function linksOf(regions: string[]): string[] {
  const out: string[] = [link(operatorNode, hubApi)];
  for (const r of regions) {
    out.push(link(agentNode(r), hubApi), link(operatorNode, dbNode(r)));
    for (const p of regions) if (r < p) out.push(link(agentNode(r), agentNode(p)));
  }
  return out;
}

export function fault(regions: string[]): fc.Arbitrary<Fault> {
  const region = fc.constantFrom(...regions);
  const links = fc.constantFrom(...linksOf(regions));
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constantFrom("cut" as const, "heal" as const), link: links }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constantFrom("isolate" as const, "rejoin" as const), region }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("crashAgent" as const),
        region,
        downMs: fc.integer({ min: 100, max: 2000 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("crashOperator" as const),
        downMs: fc.integer({ min: 100, max: 20_000 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("hubApi" as const), up: fc.boolean() }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("promote" as const), target: region }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("isolatePrimary" as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("hubIngress" as const), up: fc.boolean() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("partition" as const),
        side1: fc.subarray([operatorNode, ...regions]),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("healPartition" as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("rebuild" as const), region }) },
  );
}

const processes = (regions: string[]) => [operatorNode, ...regions.map(agentNode)];

export function modelConfig(opts: {
  mutant?: Mutant;
  operator?: ModelConfig["operator"];
  durationMs: number;
  maxFaults?: number;
}): fc.Arbitrary<ModelConfig> {
  return fc.constantFrom(2, 3, 5).chain((n) => {
    const regions = regionNames(n);
    const procs = processes(regions);
    return fc.record({
      regions: fc.constant(regions),
      timing,
      rates: fc
        .tuple(...procs.map(() => fc.double({ min: 0.99, max: 1.01, noNaN: true })))
        .map((rs) => Object.fromEntries(procs.map((p, i) => [p, rs[i] as number]))),
      // Wall clocks far apart: only a protocol that never compares them survives.
      wallOffsetMs: fc
        .tuple(...procs.map(() => fc.constantFrom(-10_000, -4000, 0, 4000, 10_000)))
        .map((os) => Object.fromEntries(procs.map((p, i) => [p, os[i] as number]))),
      maxDelayMs: fc.integer({ min: 1, max: 250 }),
      faults: fc.array(
        fc.record({ at: fc.integer({ min: 0, max: opts.durationMs }), fault: fault(regions) }),
        {
          maxLength: opts.maxFaults ?? 30,
        },
      ),
      operator: fc.constant(opts.operator ?? "adversary"),
      detectionMs: fc.integer({ min: 1000, max: 6000 }),
      mutant: fc.constant(opts.mutant ?? "none"),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    });
  });
}
