import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeCluster } from "../../src/clusters/probe.ts";
import { sharedTestbed } from "../harness/context.ts";
import { FaultProxy } from "../harness/fault-proxy.ts";
import { sharedHub } from "../harness/hub-context.ts";
import { kubeConfigVia, routeKubeconfig, routeRegion } from "../harness/proxied-kubeconfig.ts";
import { isReady, kubeConfigFor } from "../harness/testbed.ts";

const hub = sharedHub();
const { regions, region } = sharedTestbed();

/** Rejects when `p` has not settled within `ms`: how a test sees a hang. */
async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function namespaces(core: CoreV1Api): Promise<string[]> {
  return (await core.listNamespace()).items.map((n) => n.metadata?.name ?? "");
}

describe("fault proxy on a real API server link", () => {
  let proxy: FaultProxy;
  let core: CoreV1Api;

  beforeAll(async () => {
    proxy = await FaultProxy.start(hub.server, { name: "test → hub API" });
    core = kubeConfigVia(hub, proxy).makeApiClient(CoreV1Api);
  });

  afterAll(async () => {
    await proxy.close();
  });

  it("runs the hub in a cluster of its own, apart from the member regions", async () => {
    expect(regions.map((r) => r.name)).toEqual(["us-east", "eu-west", "ap-south"]);
    expect(hub.name).toBe("hub");
    expect(regions.map((r) => r.server)).not.toContain(hub.server);
    expect(await isReady(hub)).toBe(true);
  });

  it("pass: a kube client through the proxy lists namespaces, TLS verified", async () => {
    const kc = kubeConfigVia(hub, proxy);
    expect(kc.getCurrentCluster()?.server).toBe(`https://127.0.0.1:${proxy.port}`);
    expect(kc.getCurrentCluster()?.skipTLSVerify).toBeFalsy();
    expect(await namespaces(core)).toContain("kube-system");
    const stats = proxy.stats();
    expect(stats.connections).toBeGreaterThan(0);
    expect(stats.bytesFromTarget).toBeGreaterThan(0);
  });

  it("cut: the client fails fast", async () => {
    proxy.cut();
    const started = performance.now();
    await expect(within(namespaces(core), 5000)).rejects.toThrow();
    const failedAfterMs = performance.now() - started;
    console.log(`[fault-proxy] cut: list failed after ${failedAfterMs.toFixed(0)} ms`);
    expect(failedAfterMs).toBeLessThan(1000);
    const probe = await probeCluster(kubeConfigVia(hub, proxy), 2000, false);
    expect(probe.reachable).toBe(false);
    expect(probe.latencyMs).toBeLessThan(1000);
  });

  it("blackhole: the client hangs until its own timeout", async () => {
    proxy.blackhole();
    const pending = namespaces(core);
    pending.catch(() => undefined); // it settles after the test, once the link is back
    await expect(within(pending, 2000)).rejects.toThrow(/no answer within 2000 ms/);
    // The operator's own probe, with its socket timeout, gives up at its deadline.
    const started = performance.now();
    const probe = await probeCluster(kubeConfigVia(hub, proxy), 1500, false);
    const probeMs = performance.now() - started;
    console.log(`[fault-proxy] blackhole: probe gave up after ${probeMs.toFixed(0)} ms`);
    expect(probe.reachable).toBe(false);
    expect(probe.error).toMatch(/no answer within 1500 ms/);
    expect(probeMs).toBeGreaterThanOrEqual(1400);
  });

  it("back to pass: the client works again at once", async () => {
    proxy.pass();
    const started = performance.now();
    expect(await namespaces(core)).toContain("default");
    const ms = performance.now() - started;
    console.log(`[fault-proxy] pass again: list answered after ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(2000);
  });

  it("delay: every round trip is slower by about twice the delay", async () => {
    proxy.delay(200);
    try {
      const started = performance.now();
      const probe = await probeCluster(kubeConfigVia(hub, proxy), 5000, false);
      expect(probe.reachable).toBe(true);
      expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    } finally {
      proxy.pass();
    }
  });

  it("routes a member region and keeps TLS verified with a DNS server name", async () => {
    const member = region("eu-west");
    const memberProxy = await FaultProxy.start(member.server);
    try {
      const routed = routeRegion(member, memberProxy);
      expect(routed.server).toBe(`https://127.0.0.1:${memberProxy.port}`);
      expect(await isReady(routed)).toBe(true);
      // A server named by DNS (kwok's certificate carries "localhost"): the routed config keeps
      // verifying against that name through tls-server-name.
      const byName = routeKubeconfig(member.kubeconfig, { port: Number(new URL(member.server).port) });
      const named = routeKubeconfig(byName.replace(/127\.0\.0\.1/, "localhost"), memberProxy);
      expect(named).toMatch(/tls-server-name: localhost/);
      const kc = kubeConfigFor({ ...member, kubeconfig: named });
      expect((await kc.makeApiClient(CoreV1Api).listNamespace()).items.length).toBeGreaterThan(0);
      // A wrong name fails verification: the check is real.
      const wrong = routeKubeconfig(member.kubeconfig, memberProxy, { tlsServerName: "not-in-the-cert" });
      await expect(
        kubeConfigFor({ ...member, kubeconfig: wrong })
          .makeApiClient(CoreV1Api)
          .listNamespace(),
      ).rejects.toThrow();
      expect(memberProxy.stats().connections).toBeGreaterThanOrEqual(3);
    } finally {
      await memberProxy.close();
    }
  });
});
