import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes } from "../../../src/dns/wire/address.ts";
import { WireError } from "../../../src/dns/wire/errors.ts";

describe("A and AAAA addresses", () => {
  it("round-trips every IPv6 address, spelled as RFC 5952 says (WHATWG URL parsing as the oracle)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = bytesToIpv6(bytes);
        expect(ipv6ToBytes(text)).toEqual(bytes);
        expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname);
      }),
    );
  });

  it("reads every IPv6 spelling WHATWG URL accepts as the same address", () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
        expect(bytesToIpv6(ipv6ToBytes(text))).toBe(canonical);
      }),
    );
  });

  it.each([
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["::", "::"],
  ])("writes %s as %s", (input, canonical) => {
    expect(bytesToIpv6(ipv6ToBytes(input))).toBe(canonical);
  });

  it("round-trips IPv4 and refuses what is not an address of the record's family", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(bytesToIpv4(ipv4ToBytes(ip))).toBe(ip);
      }),
    );
    expect(() => ipv4ToBytes("2001:db8::1")).toThrow(WireError);
    expect(() => ipv6ToBytes("192.0.2.1")).toThrow(WireError);
    expect(() => ipv4ToBytes("192.0.2.256")).toThrow(WireError);
    expect(() => bytesToIpv4(new Uint8Array(5))).toThrow(/4 bytes/);
  });
});
