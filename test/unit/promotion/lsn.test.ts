import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidLsn, lsnDiff, parseLsn } from "../../../src/promotion/lsn.ts";

// Each expected value is what PostgreSQL 15's pg_wal_lsn_diff(ahead, behind) returned for the pair.
const measured: [ahead: string, behind: string, bytes: number][] = [
  ["1/0", "0/FFFFFFFF", 1],
  ["16/B374D848", "16/B374D000", 2120],
  ["0/0", "0/3000060", -50331744],
  ["0/16B3748", "0/16B3748", 0],
  ["a/b", "A/B", 0],
  ["00000001/00000000", "0/1", 4294967295],
  ["3/3000060", "1/FF000028", 4362076216],
  ["0/3000060", "2/0", -8539602848],
];

describe("WAL positions", () => {
  it.each(measured)("lsnDiff(%s, %s) is %d, as pg_wal_lsn_diff computes it", (ahead, behind, bytes) => {
    expect(lsnDiff(ahead, behind)).toBe(bytes);
  });

  it("parses the whole 64-bit range exactly", () => {
    // pg_wal_lsn_diff('FFFFFFFF/FFFFFFFF', '0/0') = 18446744073709551615
    expect(parseLsn("FFFFFFFF/FFFFFFFF") - parseLsn("0/0")).toBe(18446744073709551615n);
  });

  it("reads the two halves as the high and low 32 bits, whatever the case and padding", () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.boolean(), (hi, lo, upper) => {
        const hex = (n: number) => (upper ? n.toString(16).toUpperCase() : n.toString(16).padStart(8, "0"));
        expect(parseLsn(`${hex(hi)}/${hex(lo)}`)).toBe(BigInt(hi) * 2n ** 32n + BigInt(lo));
      }),
    );
  });

  it("is antisymmetric: a replica ahead of a recorded position has negative lag", () => {
    const lsn = fc
      .tuple(fc.nat({ max: 0xff }), fc.nat({ max: 0xffffffff }))
      .map(([h, l]) => `${h.toString(16)}/${l.toString(16)}`);
    fc.assert(
      fc.property(lsn, lsn, (a, b) => {
        expect(lsnDiff(a, b)).toBe(-lsnDiff(b, a));
      }),
    );
  });

  // Every one of these is also refused by PostgreSQL's pg_lsn input.
  it.each(["", "0/", "/0", "123456789/0", "0/0/0", "G/0", " 0/0", "-1/0", "0x1/0"])(
    "refuses %j with a message that shows the expected form",
    (text) => {
      expect(() => parseLsn(text)).toThrow(InvalidLsn);
      expect(() => lsnDiff(text, "0/0")).toThrow(/expected two hexadecimal numbers .* as in 0\/3000060/);
    },
  );
});
