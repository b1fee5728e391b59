import { describe, expect, it } from "vitest";
import { parseAgentArgs } from "../../../src/cli/agent.ts";
import { invokeCli } from "../invoke-cli.ts";

const invoke = invokeCli;

describe("meridian agent flags", () => {
  it("lists the agent in the program's usage and prints its own with --help", async () => {
    expect((await invoke(["help"])).out).toMatch(/^\s+agent\s+/m);
    const r = await invoke(["agent", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("--peer URL");
  });

  it("takes repeated peers and seconds as milliseconds", () => {
    const args = parseAgentArgs([
      ...["--region", "us-east", "--hub-url", "https://127.0.0.1:6443"],
      ...["--peer", "http://127.0.0.1:9001", "--peer", "http://127.0.0.1:9002"],
      ...["--check-interval-seconds", "0.25"],
    ]);
    expect(args.peers).toEqual(["http://127.0.0.1:9001", "http://127.0.0.1:9002"]);
    expect(args.checkIntervalMs).toBe(250);
    expect(args.region).toBe("us-east");
  });

  it.each([
    [["agent", "--hub-url", "https://127.0.0.1:6443"], /--region is required/],
    [["agent", "--region", "us-east"], /--hub-url is required/],
    [["agent", "--region", "x", "--hub-url", "127.0.0.1:6443"], /--hub-url must be an http/],
    [["agent", "--region", "x", "--hub-url", "https://h", "--peer", "ftp://p"], /--peer must be an http/],
    [["agent", "--region", "x", "--hub-url", "https://h", "--listen-port", "many"], /--listen-port must be/],
  ])("refuses %j naming the flag, exit code 2", async (argv, message) => {
    const r = await invoke(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain("usage: meridian agent");
  });
});
