import { describe, expect, it } from "vitest";
import { checkBeforeWrite, recordChangedError } from "../../../src/dns/change-guard.ts";
import { DnsError, type RecordChange } from "../../../src/dns/provider.ts";

const change: RecordChange = {
  desired: { hostname: "app.example.com", recordType: "AAAA", ttlSeconds: 30, targets: ["2001:db8::2"] },
  expectedCurrent: ["2001:db8::1"],
  epoch: 4,
};

describe("checks before a DNS write", () => {
  it("calls the change done only when targets, TTL and epoch already match, however the targets are spelled", () => {
    expect(checkBeforeWrite({ targets: ["2001:0db8:0:0::2"], ttlSeconds: 30, epoch: 4 }, change, "x")).toBe(
      "done",
    );
    expect(checkBeforeWrite({ targets: ["2001:db8::2"], ttlSeconds: 60, epoch: 4 }, change, "x")).toBe(
      "write",
    );
    expect(checkBeforeWrite({ targets: ["2001:db8::2"], ttlSeconds: 30, epoch: 3 }, change, "x")).toBe(
      "write",
    );
    expect(
      checkBeforeWrite({ targets: ["2001:db8::1"], ttlSeconds: 30, epoch: undefined }, change, "x"),
    ).toBe("write");
  });

  it("lets the same epoch write again (active-active sets change without a failover) but refuses an older one", () => {
    expect(checkBeforeWrite({ targets: ["2001:db8::9"], ttlSeconds: 30, epoch: 4 }, change, "x")).toBe(
      "write",
    );
    expect(() =>
      checkBeforeWrite({ targets: [], ttlSeconds: undefined, epoch: 5 }, change, "server 192.0.2.53:53"),
    ).toThrow(
      expect.objectContaining({
        reason: "EpochTooOld",
        message: expect.stringContaining("epoch 5, newer than this change's epoch 4"),
      }),
    );
  });

  it("explains a conflict with what was expected, what is there and who wrote it last", () => {
    const err = recordChangedError(
      change,
      { targets: ["2001:db8::7"], ttlSeconds: 30, epoch: 3 },
      "DNSEndpoint shop/x",
    );
    expect(err).toBeInstanceOf(DnsError);
    expect(err.reason).toBe("DnsRecordChanged");
    expect(err.message).toContain("expected [2001:db8::1] but DNSEndpoint shop/x holds [2001:db8::7]");
    expect(err.message).toContain("epoch 3");
  });
});
