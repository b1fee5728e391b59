import { describe, expect, it } from "vitest";
import { age, bytes, parseDuration } from "../../../src/cli/format.ts";

describe("CLI formatting", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [3 * 1024 * 1024, "3.0 MiB"],
  ])("bytes(%d) = %s", (n, text) => expect(bytes(n)).toBe(text));

  it("ages like kubectl", () => {
    const now = Date.parse("2026-11-27T12:00:00Z");
    expect(age("2026-11-27T11:59:15Z", now)).toBe("45s");
    expect(age("2026-11-27T11:30:00Z", now)).toBe("30m");
    expect(age("2026-11-27T06:00:00Z", now)).toBe("6h");
    expect(age(undefined, now)).toBe("-");
  });

  it.each([
    ["90s", 90_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["30", 30_000],
    ["soon", undefined],
  ])("parseDuration(%s) = %s", (text, ms) => expect(parseDuration(text)).toBe(ms));
});
