// The meridian CLI against a real hub, operator, PostgreSQL pair and BIND: status, a switchover
// followed live, the audit trail, kubectl's plugin mechanism, fence/unfence, and approving a
// promotion a Manual policy holds back.
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiVersion, group, version } from "../../src/api/group.ts";
import type { AppView } from "../../src/cli/commands/status-view.ts";
import { PostgresPromoter } from "../../src/promotion/postgresql.ts";
import { binariesDir } from "../harness/binaries.ts";
import { kubeconfigFile, runCli } from "../harness/cli.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { endpoints, hostname } from "../harness/failover-setup.ts";
import { createObject, custom, getApp, getObject } from "../harness/meridian.ts";
import { pollUntil } from "../harness/poll.ts";
import { appsApi } from "../harness/workloads.ts";

// A promotion timeout for a loaded machine: the test is about what the CLI shows, not about speed.
const { hub, primary, standby, ns, get } = useFailoverApp("cli", {
  policy: { promotion: { maxLagBytes: 16 * 1024 * 1024, timeoutSeconds: 300 } },
});
let kubeconfig = "";
const cli = (args: string[], opts: Parameters<typeof runCli>[1] = {}) =>
  runCli([...args, "-n", ns(), "--kubeconfig", kubeconfig], opts);
const replicas = async (region: typeof primary) =>
  (await appsApi(region).readNamespacedDeployment({ name: "checkout", namespace: ns() })).spec?.replicas;
const failoverReady = (primaryRegion: string) =>
  pollUntil(`FailoverReady with ${primaryRegion} primary`, 60_000, async () => {
    const app = await getApp(hub, ns(), "checkout");
    return (
      app.status?.currentPrimary === primaryRegion &&
      app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True"
    );
  });

// `status --watch` runs through the switchover, as a person would watch it in another terminal.
const watching = new AbortController();
const watched: string[] = [];
let watch: Promise<{ code: number }> | undefined;

beforeAll(async () => {
  kubeconfig = kubeconfigFile(hub);
  await pollUntil("us-east recorded as the applied primary", 60_000, async () => {
    const app = await getApp(hub, ns(), "checkout");
    return app.status?.lastAppliedPrimaryRegion === "us-east";
  });
  await failoverReady("us-east");
});
afterAll(() => watching.abort());

describe("meridian CLI against a running hub", () => {
  it("status shows the primary, each region and failover readiness, as a table and as JSON", async () => {
    const table = await cli(["status", "checkout"]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/Primary:\s+us-east\n/);
    expect(table.out).toMatch(/Failover ready:\s+True \(PreflightPassed\)/);
    expect(table.out).toMatch(/us-east\s+primary\s+Healthy/);
    // A measured lag, not "-": the split-brain checker writes to the primary all the time, so the
    // replica is a few bytes behind or none, depending on the moment of the measurement.
    expect(table.out).toMatch(/eu-west\s+standby\s+Healthy\s+\d+(\.\d+)? (B|KiB)/);
    const json = await cli(["status", "checkout", "-o", "json"]);
    const view = JSON.parse(json.out) as AppView;
    expect(view).toMatchObject({ name: "checkout", primary: "us-east", failoverReady: { status: "True" } });
    const all = await cli(["status", "-A"]);
    expect(all.out).toContain(`namespace ${ns()}`);
    watch = cli(["status", "checkout", "--watch"], { signal: watching.signal, out: (l) => watched.push(l) });
  });

  it("refuses a switchover to a region the app does not have, or to the primary, naming the fix", async () => {
    const mars = await cli(["switchover", "checkout", "--to", "mars"]);
    expect(mars.code).toBe(2);
    expect(mars.err).toContain(
      `RegionalApp ${ns()}/checkout has no region mars: use one of us-east, eu-west`,
    );
    const same = await cli(["switchover", "checkout", "--to", "us-east"]);
    expect(same.code).toBe(1);
    expect(same.err).toContain("us-east is already the primary");
    const missing = await cli(["status", "nosuchapp"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`RegionalApp ${ns()}/nosuchapp not found`);
  });

  it("switchover follows the promotion phase by phase, with DNS before and after, and exits 0 on Succeeded", async () => {
    const r = await cli([
      "switchover",
      "checkout",
      "--to",
      "eu-west",
      "--reason",
      "cli test",
      "--timeout",
      "2m",
    ]);
    expect(r.out).toMatch(/^Succeeded: us-east → eu-west at epoch 1, RTO \d+\.\d s, lag at promotion 0 B$/m);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /DNS before: checkout\.example\.test A → 203\.0\.113\.10 \(us-east\)\s+\[authoritative server 127\.0\.0\.1:\d+\]/,
    );
    // Every phase, in order, each with its time since the operator picked the promotion up.
    const phases = [...r.out.matchAll(/^\s+\+\d+\.\d\ds\s+(\w+)/gm)].map((m) => m[1]);
    expect(phases).toEqual(["Pending", "Fencing", "Promoting", "Rerouting", "Verifying", "Succeeded"]);
    expect(r.out).toMatch(/DNS now:\s+checkout\.example\.test A → 203\.0\.113\.20 \(eu-west\)/);
    expect(r.out).toMatch(/^Succeeded: us-east → eu-west at epoch 1, RTO \d+\.\d s, lag at promotion 0 B$/m);
    expect(r.out).toContain("spec.primaryRegion still prefers us-east");
    expect(await get().bed.bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
  });

  it("status and status --watch show the new primary; promotions lists the switchover", async () => {
    const after = await cli(["status", "checkout"]);
    expect(after.out).toMatch(/Primary:\s+eu-west \(spec.primaryRegion prefers us-east\)/);
    expect(after.out).toMatch(
      /Last failover:\s+Switchover us-east → eu-west, \d+s ago, RTO \d+\.\d s, no data lost/,
    );
    await pollUntil("the watch prints eu-west as primary", 10_000, () =>
      watched.some((l) => /Primary:\s+eu-west/.test(l)),
    );
    expect(watched.some((l) => /Primary:\s+us-east/.test(l))).toBe(true);
    watching.abort();
    expect((await watch)?.code).toBe(0);
    const trail = await cli(["promotions", "checkout"]);
    expect(trail.out).toMatch(
      /checkout-switchover-\w+\s+checkout\s+Switchover\s+us-east\s+eu-west\s+Succeeded\s+1\s+\d+\.\d s\s+0 B\s+\S+\s+cli test/,
    );
  });

  it("works as a kubectl plugin: kubectl meridian status", async () => {
    const kubectl = resolve(await binariesDir(), "kubectl");
    const plugins = resolve(import.meta.dirname, "../../hack/bin");
    const { stdout } = await promisify(execFile)(
      kubectl,
      ["meridian", "status", "checkout", "-n", ns(), "--kubeconfig", kubeconfig],
      { env: { ...process.env, PATH: `${plugins}:${process.env.PATH}` } },
    );
    expect(stdout).toMatch(/Primary:\s+eu-west/);
  });

  it("fence refuses the only healthy region, and asks before acting", async () => {
    // us-east was fenced by the switchover; eu-west is the only healthy region.
    const only = await cli(["fence", "checkout", "--region", "eu-west", "--yes"]);
    expect(only.code).toBe(1);
    expect(only.err).toContain("eu-west is the only healthy region");
    expect(only.err).toContain("--force");
    expect(await replicas(standby)).toBeGreaterThan(0);
  });

  it("unfence refuses to reopen a fenced former primary, then returns it to standby duty once rebuilt as a replica", async () => {
    const refused = await cli(["unfence", "checkout", "--region", "us-east", "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("would make two writable databases");
    expect(await replicas(primary)).toBe(0);
    const { pg } = get().bed;
    await pg.rebuildAsReplica(pg.primary, pg.replica);
    const declined = await cli(["unfence", "checkout", "--region", "us-east"], { answer: false });
    expect(declined.code).toBe(1);
    expect(declined.err).toContain("Nothing was changed");
    expect(await replicas(primary)).toBe(0);
    const r = await cli(["unfence", "checkout", "--region", "us-east"], { answer: true });
    expect(r.code).toBe(0);
    expect(r.out).toContain("scaled back to 2");
    expect(await replicas(primary)).toBe(2);
    await pollUntil("us-east healthy again", 60_000, async () =>
      (await getApp(hub, ns(), "checkout")).status?.regions?.some((x) => x.name === "us-east" && x.healthy),
    );
  });

  it("fence of a standby scales it to zero and leaves its replica alone; unfence is idempotent", async () => {
    const r = await cli(["fence", "checkout", "--region", "us-east", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("leave its database alone: it is a replica");
    expect(await replicas(primary)).toBe(0);
    expect((await cli(["fence", "checkout", "--region", "us-east", "--yes"])).code).toBe(0);
    expect((await cli(["unfence", "checkout", "--region", "us-east", "--yes"])).code).toBe(0);
    expect(await replicas(primary)).toBe(2);
    expect((await cli(["unfence", "checkout", "--region", "us-east", "--yes"])).code).toBe(0);
    expect(await replicas(primary)).toBe(2);
  });

  it("approve lets a promotion a Manual policy holds back run, and follows it to Succeeded", async () => {
    await failoverReady("eu-west");
    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "failoverpolicies",
        namespace: ns(),
        name: "fast",
        body: { spec: { mode: "Manual" } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    // As a GitOps pipeline would file it: not approved.
    await createObject(
      hub,
      "replicapromotions",
      {
        apiVersion,
        kind: "ReplicaPromotion",
        metadata: { name: "back-to-us-east" },
        spec: { appRef: { name: "checkout" }, targetRegion: "us-east", type: "Switchover", approved: false },
      },
      ns(),
    );
    await pollUntil("the promotion waits for approval", 30_000, async () => {
      const p = await getObject<{ status?: { conditions?: { message: string }[] } }>(
        hub,
        "replicapromotions",
        "back-to-us-east",
        ns(),
      );
      return p.status?.conditions?.some((c) => /approv/.test(c.message));
    });
    const listed = await cli(["promotions"]);
    expect(listed.out).toMatch(
      /back-to-us-east\s+checkout\s+Switchover\s+eu-west\s+us-east\s+Pending \(unapproved\)/,
    );
    const r = await cli(["approve", "back-to-us-east", "--timeout", "4m"]);
    if (r.code !== 0) {
      // What the operator did, for the failure report.
      const logs = get().operator?.logs.filter(
        (l) => Number(l.level) >= 40 || JSON.stringify(l).includes("back-to-us-east"),
      );
      console.error(r.out, r.err, JSON.stringify(logs?.slice(-40), null, 1));
    }
    expect(r.out).toMatch(/^Succeeded: eu-west → us-east at epoch 2/m);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`ReplicaPromotion ${ns()}/back-to-us-east approved`);
    expect(await get().bed.bind.dig(hostname, "A")).toEqual([endpoints["us-east"]]);
    const again = await cli(["approve", "back-to-us-east"]);
    expect(again.code).toBe(1);
    expect(again.err).toContain("has already ended (Succeeded)");
  });

  it("fence of the primary fences its database at the current epoch; unfence reopens it while it is still primary", async () => {
    const promoter = new PostgresPromoter();
    const db = get().bed.pg.primary.endpoint;
    // eu-west, fenced by the switchover back, is unhealthy: us-east is the only healthy region
    // once the operator has judged it so (failureThreshold observations after the fence).
    await pollUntil("eu-west judged unhealthy", 60_000, async () => {
      const app = await getApp(hub, ns(), "checkout");
      return app.status?.regions?.find((r) => r.name === "eu-west")?.healthy === false;
    });
    const refused = await cli(["fence", "checkout", "--region", "us-east", "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("us-east is the only healthy region");
    expect((await promoter.fenceState(db, 2)).fenced).toBe(false);
    const r = await cli(["fence", "checkout", "--region", "us-east", "--yes", "--force"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("database fenced at epoch 2");
    expect((await promoter.fenceState(db, 2)).fenced).toBe(true);
    expect(await replicas(primary)).toBe(0);
    const u = await cli(["unfence", "checkout", "--region", "us-east", "--yes"]);
    expect(u.code).toBe(0);
    expect(u.out).toContain("database reopened at epoch 2");
    expect((await promoter.promotionState(db, 2)).promoted).toBe(true);
    expect(await replicas(primary)).toBe(2);
    // Invariant 1 through all of it: never two writable databases.
    expect(get().checker.splitBrainRounds()).toEqual([]);
  });
});
