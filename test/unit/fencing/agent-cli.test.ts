import { describe, expect, it } from "vitest";
import { parseAgentArgs } from "../../../src/cli/agent.ts";
import { invokeCli } from "../invoke-cli.ts";

const invoke = invokeCli;
const required = ["--cluster", "us-east", "--hub-kubeconfig", "/etc/meridian/hub/kubeconfig"];

describe("meridian agent flags", () => {
  it("lists the agent in the program's usage and prints its own with --help", async () => {
    expect((await invoke(["help"])).out).toMatch(/^\s+agent\s+/m);
    const r = await invoke(["agent", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("--peer URL");
    expect(r.out).toContain("--hub-kubeconfig FILE");
  });

  it("takes repeated peers, seconds as milliseconds, and defaults the namespaces", () => {
    const args = parseAgentArgs([
      ...required,
      ...["--peer", "http://127.0.0.1:9001", "--peer", "http://127.0.0.1:9002"],
      ...["--check-interval-seconds", "0.5"],
    ]);
    expect(args.peers).toEqual(["http://127.0.0.1:9001", "http://127.0.0.1:9002"]);
    expect(args.checkIntervalMs).toBe(500);
    expect(args.cluster).toBe("us-east");
    expect(args.hubKubeconfig).toBe("/etc/meridian/hub/kubeconfig");
    expect(args.hubNamespace).toBe("meridian-system");
    expect(args.stateNamespace).toBe("meridian-system");
    expect(parseAgentArgs(required).checkIntervalMs).toBe(250);
  });

  it.each([
    [["agent", "--hub-kubeconfig", "/k"], /--cluster is required/],
    [["agent", "--cluster", "us-east"], /--hub-kubeconfig is required/],
    [["agent", ...required, "--peer", "ftp://p"], /--peer must be an http/],
    [["agent", ...required, "--listen-port", "many"], /--listen-port must be/],
    [["agent", ...required, "--hub-namespace", "Not_A_Name"], /--hub-namespace must be/],
    [["agent", "--region", "x", "--hub-url", "https://h"], /region/],
  ])("refuses %j naming the flag, exit code 2", async (argv, message) => {
    const r = await invoke(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain("usage: meridian agent");
  });
});
