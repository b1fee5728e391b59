import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";

function invoke(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("meridian CLI", () => {
  it("prints the package version", () => {
    const r = invoke(["version"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^meridian \d+\.\d+\.\d+$/);
  });

  it("rejects an unknown command with usage and exit code 2", () => {
    const r = invoke(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "frobnicate"');
    expect(r.err).toContain("usage: meridian");
  });
});
