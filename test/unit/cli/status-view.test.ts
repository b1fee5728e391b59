import { describe, expect, it } from "vitest";
import { appView, formatApp } from "../../../src/cli/commands/status-view.ts";
import { checkout } from "./fixtures.ts";

const now = Date.parse("2026-11-27T10:03:00Z");

describe("meridian status view", () => {
  it("summarises primary, regions, readiness and the last failover as data", () => {
    const v = appView(checkout());
    expect(v).toMatchObject({
      namespace: "shop",
      name: "checkout",
      primary: "eu-west",
      preferredPrimary: "us-east",
      epoch: 1,
      failoverReady: { status: "False", reason: "NoFailoverTarget" },
      lastFailover: { type: "Switchover", from: "us-east", to: "eu-west", rtoSeconds: 1.4, dataLossBytes: 0 },
    });
    expect(v.regions.map((r) => [r.name, r.role, r.healthy])).toEqual([
      ["us-east", "standby", false],
      ["eu-west", "primary", true],
    ]);
    // Only conditions in a bad state need attention: Degraded True, not Ready True.
    expect(v.attention.map((c) => c.type)).toEqual(["Degraded"]);
  });

  it("prints a table people can read, without colour codes when colour is off", () => {
    const text = formatApp(appView(checkout()), { now, color: false }).join("\n");
    expect(text).toContain("checkout  namespace shop, ActivePassive, epoch 1");
    expect(text).toMatch(/Primary:\s+eu-west \(spec.primaryRegion prefers us-east\)/);
    expect(text).toMatch(/Failover ready:\s+False \(NoFailoverTarget\): no healthy region besides eu-west/);
    expect(text).toMatch(
      /Last failover:\s+Switchover us-east → eu-west, 3m ago, RTO 1.4 s, no data lost \(checkout-switchover-x1\)/,
    );
    expect(text).toMatch(/REGION\s+ROLE\s+HEALTH\s+LAG\s+REASON/);
    expect(text).toMatch(/us-east\s+standby\s+Unhealthy\s+-\s+workload checkout: 0\/0 replicas available/);
    expect(text).toMatch(/eu-west\s+primary\s+Healthy\s+-\s+2\/2 replicas available/);
    expect(text).toContain("Degraded=True RegionUnhealthy: us-east is unhealthy");
    expect(text).not.toContain("\u001b[");
  });

  it("aligns columns on the plain text when colour is on", () => {
    const plain = formatApp(appView(checkout()), { now, color: false });
    const colored = formatApp(appView(checkout()), { now, color: true });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes
    const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");
    expect(colored.join("\n")).toContain("\u001b[");
    expect(colored.map(strip)).toEqual(plain);
  });

  it("shows lag for standbys, an app not yet observed, and no failover yet", () => {
    const fresh = checkout({
      status: {
        currentPrimary: "us-east",
        regions: [{ name: "eu-west", healthy: true, replicationLagBytes: 1536 }],
        conditions: [],
        lastFailover: undefined,
        epoch: 0,
      },
    });
    const text = formatApp(appView(fresh), { now, color: false }).join("\n");
    expect(text).toMatch(/eu-west\s+standby\s+Healthy\s+1.5 KiB/);
    expect(text).toMatch(/us-east\s+primary\s+Unknown/);
    expect(text).toMatch(/Failover ready:\s+Unknown \(not observed yet\)/);
    expect(text).toMatch(/Last failover:\s+none/);
  });
});
