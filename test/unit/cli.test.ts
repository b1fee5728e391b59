import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { invokeCli } from "./invoke-cli.ts";

const invoke = invokeCli;

describe("meridian CLI", () => {
  it("prints the package version", async () => {
    const r = await invoke(["version"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^meridian \d+\.\d+\.\d+$/);
  });

  it("rejects an unknown command with usage and exit code 2", async () => {
    const r = await invoke(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'frobnicate'");
    expect(r.err).toContain("--help");
  });

  it.each([
    [["operator", "--bogus"], /Unknown option '--bogus'/],
    [
      ["operator", "--probe-interval-seconds", "fast"],
      /--probe-interval-seconds must be a number >= 0.1, got "fast"/,
    ],
    [
      ["operator", "--lease-duration-seconds", "5", "--renew-deadline-seconds", "5"],
      /--renew-deadline-seconds must be less than/,
    ],
  ])("refuses bad operator flags %j naming the flag, exit code 2", async (argv, message) => {
    const r = await invoke(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain("usage: meridian operator");
  });

  it.each(["status", "switchover", "approve", "promotions", "drill", "fence", "unfence"])(
    "%s --help explains the command, kubectl's connection flags and an example",
    async (command) => {
      const r = await invoke([command, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: meridian ${command}`);
      for (const flag of ["--kubeconfig", "--context", "-n, --namespace"]) expect(r.out).toContain(flag);
      expect(r.out).toMatch(/Examples?:\n\s+(kubectl )?meridian /);
    },
  );

  it("names itself as kubectl does when run as the plugin kubectl-meridian", async () => {
    const out: string[] = [];
    const code = await main(
      ["--help"],
      (l) => out.push(l),
      () => {},
      { name: "kubectl meridian" },
    );
    expect(code).toBe(0);
    expect(out.join("\n")).toContain("Usage: kubectl meridian [options] [command]");
  });

  it("refuses a missing required flag as a usage error (exit code 2)", async () => {
    const r = await invoke(["switchover", "checkout"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("required option '--to <region>' not specified");
  });
});
