import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WireReader, WireWriter } from "../../../src/dns/wire/bytes.ts";
import { WireError } from "../../../src/dns/wire/errors.ts";
import {
  formatName,
  isInZone,
  normalizeName,
  parseName,
  readName,
  writeName,
} from "../../../src/dns/wire/name.ts";

const label = fc.uint8Array({ minLength: 1, maxLength: 63 });
/** Label sequences that fit in 255 bytes on the wire. */
const labels = fc
  .array(label, { maxLength: 8 })
  .filter((ls) => ls.reduce((n, l) => n + l.length + 1, 1) <= 255);

describe("domain names", () => {
  it("gives back every label sequence, any bytes included, through text", () => {
    fc.assert(
      fc.property(labels, (ls) => {
        expect(parseName(formatName(ls))).toEqual(ls);
      }),
    );
  });

  it("reads back what it writes, with and without compression", () => {
    fc.assert(
      fc.property(fc.array(labels, { minLength: 1, maxLength: 6 }), fc.boolean(), (names, compress) => {
        const w = new WireWriter();
        const table = compress ? new Map() : undefined;
        for (const ls of names) writeName(w, formatName(ls), table);
        const r = new WireReader(w.finish());
        for (const ls of names) expect(readName(r)).toBe(formatName(ls));
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it("compresses a repeated suffix into a two-byte pointer", () => {
    const w = new WireWriter();
    const table = new Map();
    writeName(w, "example.test", table);
    const before = w.length;
    writeName(w, "app.example.test", table);
    expect(w.length - before).toBe(1 + 3 + 2); // "app" label, then a pointer
  });

  it("accepts a trailing dot and escapes, and spells names the way DNS compares them", () => {
    expect(parseName("app.example.test.")).toEqual(parseName("app.example.test"));
    expect(formatName(parseName("a\\.b.test"))).toBe("a\\046b.test");
    expect(normalizeName("App.EXAMPLE.Test.")).toBe("app.example.test");
    expect(parseName("")).toEqual([]);
  });

  it.each([
    ["an empty label", "a..test"],
    ["a label over 63 bytes", `${"a".repeat(64)}.test`],
    ["a name over 255 bytes", Array(64).fill("abc").join(".")],
    ["a space", "a b.test"],
    ["a lone backslash", "a\\"],
  ])("refuses %s", (_what, text) => {
    expect(() => parseName(text)).toThrow(WireError);
  });

  it("tells whether a name is inside a zone, label by label", () => {
    expect(isInZone("app.example.test", "example.test")).toBe(true);
    expect(isInZone("EXAMPLE.test.", "example.test")).toBe(true);
    expect(isInZone("badexample.test", "example.test")).toBe(false);
    expect(isInZone("example.test", "app.example.test")).toBe(false);
  });

  it("refuses compression pointers that point forwards or at themselves, so no packet loops", () => {
    const selfPointer = Uint8Array.from([0xc0, 0x00]);
    expect(() => readName(new WireReader(selfPointer))).toThrow(/does not point backwards/);
    // "a" then a pointer back to the "a": a loop through an earlier label.
    const loop = Uint8Array.from([0x01, 0x61, 0xc0, 0x00]);
    expect(() => readName(new WireReader(loop))).toThrow(WireError);
  });
});
