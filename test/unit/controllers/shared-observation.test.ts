import { describe, expect, it } from "vitest";
import type { FailoverPolicy, RegionalApp } from "../../../src/api/types.generated.ts";
import { DnsPreflight } from "../../../src/controllers/regionalapp/dns-preflight.ts";
import { AppsByWorkload } from "../../../src/controllers/regionalapp/workload-index.ts";
import type { DnsProvider } from "../../../src/dns/provider.ts";

function app(name: string, namespace: string, server: string, workload = name): RegionalApp {
  return {
    apiVersion: "meridian.dev/v1alpha1",
    kind: "RegionalApp",
    metadata: { name, namespace },
    spec: {
      policyRef: { name: "p" },
      primaryRegion: "us-east",
      regions: ["us-east", "eu-west"].map((r, i) => ({
        name: r,
        clusterRef: `mc-${r}`,
        priority: i + 1,
        workload: { kind: "Deployment", name: workload },
        endpoint: `203.0.113.${i + 1}`,
      })),
      dns: {
        hostname: `${name}.example.test`,
        provider: { rfc2136: { server, zone: "example.test", tsigSecretRef: { name: "tsig" } } },
      },
      database: { engine: "none" },
    },
  } as RegionalApp;
}

const policy = { metadata: { name: "p" }, spec: { dns: { ttlSeconds: 30 } } } as FailoverPolicy;

describe("DnsPreflight", () => {
  it("checks once per provider, not per app, and reuses a pass for 30 s", async () => {
    const calls: string[] = [];
    const provider = (server: string) => (): DnsProvider =>
      ({
        preflight: async () => {
          calls.push(server);
          return { ok: true, reason: "DnsProviderReady", message: `${server} ok` };
        },
      }) as unknown as DnsProvider;
    const preflight = new DnsPreflight();
    const apps = Array.from({ length: 100 }, (_, i) => app(`a${i}`, "shop", i % 2 ? "ns1:53" : "ns2:53"));
    for (const a of apps)
      expect(
        preflight.check(a, policy, provider(String(a.spec.dns.provider.rfc2136?.server)), 0),
      ).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(calls.sort()).toEqual(["ns1:53", "ns2:53"]);
    for (const a of apps) {
      expect(preflight.check(a, policy, provider("x"), 29_000)).toMatchObject({
        usable: true,
        status: "True",
      });
    }
    expect(calls).toHaveLength(2);
    preflight.check(apps[0] as RegionalApp, policy, provider("ns2:53"), 30_000);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(3);
  });
});

describe("AppsByWorkload", () => {
  it("finds the apps of a workload and of a cluster, and forgets a deleted or changed app", () => {
    const index = new AppsByWorkload();
    const a = app("a", "shop", "ns:53", "web");
    const b = app("b", "shop", "ns:53", "web");
    const c = app("c", "shop", "ns:53", "api");
    for (const x of [a, b, c]) index.set(x);
    expect([...index.ofWorkload("mc-us-east", "Deployment", "shop/web")].sort()).toEqual([
      "shop/a",
      "shop/b",
    ]);
    expect([...index.ofCluster("mc-eu-west")].sort()).toEqual(["shop/a", "shop/b", "shop/c"]);
    index.delete(a);
    expect([...index.ofWorkload("mc-us-east", "Deployment", "shop/web")]).toEqual(["shop/b"]);
    index.set(app("b", "shop", "ns:53", "api"));
    expect([...index.ofWorkload("mc-us-east", "Deployment", "shop/web")]).toEqual([]);
    expect([...index.ofWorkload("mc-eu-west", "Deployment", "shop/api")].sort()).toEqual([
      "shop/b",
      "shop/c",
    ]);
  });
});
