import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decideFence,
  FenceReason,
  type LeaseFacts,
  type PeerAnswer,
} from "../../../src/fencing/agent/decide.ts";

const region = "us-east";
const regionName = fc.constantFrom(region, "eu-west", "ap-south");
const now = 1_000_000;

const facts = fc.record({
  region: fc.constant(region),
  holder: fc.option(regionName, { nil: undefined }),
  epoch: fc.nat(20),
  renewTimeMs: fc.option(fc.integer({ min: now - 60_000, max: now + 1000 }), { nil: undefined }),
  renewDeadlineMs: fc.integer({ min: 100, max: 30_000 }),
  ownEpoch: fc.option(fc.nat(20), { nil: undefined }),
}) satisfies fc.Arbitrary<LeaseFacts>;

const peers = fc.array(
  fc.record({
    peer: fc.webUrl(),
    reachable: fc.option(fc.boolean(), { nil: undefined }),
  }) satisfies fc.Arbitrary<PeerAnswer>,
  { maxLength: 4 },
);

const renewed = (f: LeaseFacts) =>
  f.holder === f.region && f.renewTimeMs !== undefined && now <= f.renewTimeMs + f.renewDeadlineMs;

describe("decideFence", () => {
  it("keeps a primary with a lapsed Lease serving only when every peer confirmed the hub unreachable", () => {
    fc.assert(
      fc.property(facts, peers, fc.boolean(), (f, p, self) => {
        const d = decideFence(f, p, self, now);
        if (f.holder !== f.region || renewed(f) || d.fence) return;
        expect(self).toBe(false);
        expect(p.length).toBeGreaterThan(0);
        expect(p.every((a) => a.reachable === false)).toBe(true);
        expect(d.reason).toBe(FenceReason.HubDownEverywhere);
      }),
    );
  });

  it("fences a lapsed Lease when itself or any peer reaches the hub, or any peer is silent", () => {
    fc.assert(
      fc.property(facts, peers, fc.boolean(), (f, p, self) => {
        fc.pre(f.holder === f.region && !renewed(f));
        const vouched = p.length > 0 && p.every((a) => a.reachable === false);
        expect(decideFence(f, p, self, now).fence).toBe(self || !vouched);
      }),
    );
  });

  it("always fences when another region holds the Lease at a newer epoch than ours", () => {
    fc.assert(
      fc.property(facts, peers, fc.boolean(), fc.integer({ min: 1, max: 10 }), (f, p, self, newer) => {
        fc.pre(f.ownEpoch !== undefined);
        const handedOver = { ...f, holder: "eu-west", epoch: (f.ownEpoch ?? 0) + newer };
        expect(decideFence(handedOver, p, self, now)).toEqual({
          fence: true,
          reason: FenceReason.HandedOver,
        });
      }),
    );
  });

  it("never fences a renewed Lease, whatever the peers and the hub say", () => {
    fc.assert(
      fc.property(facts, peers, fc.boolean(), (f, p, self) => {
        fc.pre(renewed(f));
        expect(decideFence(f, p, self, now)).toEqual({ fence: false, reason: FenceReason.LeaseRenewed });
      }),
    );
  });

  it("leaves another region's Lease alone unless its epoch grew past one we held", () => {
    fc.assert(
      fc.property(facts, peers, fc.boolean(), (f, p, self) => {
        fc.pre(f.holder !== f.region && (f.ownEpoch === undefined || f.epoch <= f.ownEpoch));
        expect(decideFence(f, p, self, now).fence).toBe(false);
      }),
    );
  });

  it("counts the renew deadline from renewTime: fences one millisecond after it, not at it", () => {
    const lease: LeaseFacts = {
      region,
      holder: region,
      epoch: 3,
      renewTimeMs: now - 2000,
      renewDeadlineMs: 2000,
      ownEpoch: 3,
    };
    expect(decideFence(lease, [], true, now).fence).toBe(false);
    expect(decideFence(lease, [], true, now + 1)).toEqual({ fence: true, reason: FenceReason.HubReachable });
  });
});
