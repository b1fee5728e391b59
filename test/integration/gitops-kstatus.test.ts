// The conditions Meridian writes, judged by cli-utils' kstatus itself (hack/kstatus, the library
// behind Flux's health checks and kpt's --wait), on live objects from the test bed: a wait on any
// Meridian object ends (Current or Failed) instead of timing out, and never reads Current early.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { group, version } from "../../src/api/group.ts";
import type { RegionalApp, ReplicaPromotion } from "../../src/api/types.generated.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { finished, promotionsOf } from "../harness/failover-setup.ts";
import { type KstatusVerdict, kstatus } from "../harness/kstatus.ts";
import { createObject, custom, getApp, getMemberCluster, getObject } from "../harness/meridian.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const { hub, ns } = useFailoverApp("kstatus");
const apiVersion = `${group}/${version}`;

async function statusOf(obj: object): Promise<KstatusVerdict> {
  const [verdict] = await kstatus(obj);
  if (!verdict) throw new Error("kstatus printed nothing");
  return verdict;
}

/**
 * Polls until kstatus says `status` about the object `read` returns; returns the verdict. On a
 * timeout the error carries the last verdict and conditions, the only clue a CI log will have.
 */
async function untilKstatus(what: string, read: () => Promise<object>, status: KstatusVerdict["status"]) {
  let last: unknown;
  try {
    return await pollUntil(`${what} to read ${status}`, 60_000, async () => {
      const obj = (await read()) as { status?: { conditions?: unknown } };
      const v = await statusOf(obj);
      last = { verdict: v, conditions: obj.status?.conditions };
      return v.status === status ? v : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

const app = () => getApp(hub, ns(), "checkout");

describe("kstatus reads every Meridian kind", () => {
  it("a RegionalApp reads Current when settled, InProgress through a switchover, Current after it", async () => {
    await pollUntil("us-east recorded as acted upon", 60_000, async () => {
      const a = await app();
      return (
        a.status?.lastAppliedPrimaryRegion === "us-east" &&
        a.status.observedGeneration === a.metadata?.generation
      );
    });
    await untilKstatus("the settled app", app, "Current");
    const policy = await getObject<object>(hub, "failoverpolicies", "fast", ns());
    expect((await statusOf(policy)).status).toBe("Current");
    for (const name of [`${ns()}-us-east`, `${ns()}-eu-west`]) {
      expect((await statusOf(await getMemberCluster(hub, name))).status).toBe("Current");
    }

    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "regionalapps",
        namespace: ns(),
        name: "checkout",
        body: { spec: { primaryRegion: "eu-west" } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    // Every sample from the edit on: the app may read Current only once eu-west is the primary,
    // and never Failed; the running promotion reads InProgress.
    const samples: {
      app: KstatusVerdict;
      primary: string | undefined;
      promotion?: KstatusVerdict;
      phase?: string;
    }[] = [];
    try {
      await pollUntil(
        "the switchover to finish and the app to read Current",
        120_000,
        async () => {
          const a = await app();
          const [p] = await promotionsOf(hub, ns(), "checkout");
          const [appVerdict, promotionVerdict] = await kstatus(a, ...(p ? [p] : []));
          if (!appVerdict) throw new Error("kstatus printed nothing");
          samples.push({
            app: appVerdict,
            primary: a.status?.currentPrimary,
            ...(promotionVerdict ? { promotion: promotionVerdict, phase: p?.status?.phase } : {}),
          });
          return finished(p) && appVerdict.status === "Current";
        },
        50,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last sample: ${JSON.stringify(samples.at(-1))}`);
    }
    const early = samples.filter((s) => s.app.status === "Current" && s.primary !== "eu-west");
    expect(early).toEqual([]);
    expect(samples.filter((s) => s.app.status === "Failed")).toEqual([]);
    expect(samples.some((s) => s.app.status === "InProgress")).toBe(true);
    // A promotion with no status yet (picked up a moment later) reads Current: kstatus's own gap,
    // documented in docs/gitops.md. From its first phase on it must read InProgress.
    const running = samples.filter(
      (s) => s.phase !== undefined && !finished({ status: { phase: s.phase } } as ReplicaPromotion),
    );
    expect(running.length).toBeGreaterThan(0);
    expect(
      running.filter((s) => s.promotion?.status !== "InProgress" || s.app.status !== "InProgress"),
    ).toEqual([]);
    const [promotion] = await promotionsOf(hub, ns(), "checkout");
    expect(promotion?.status?.phase).toBe("Succeeded");
    expect((await statusOf(promotion as object)).status).toBe("Current");
    const settled = await app();
    expect(settled.status?.conditions?.find((c) => c.type === "Reconciling")).toMatchObject({
      status: "False",
      reason: "PrimaryHealthy",
    });
  });

  it("a Failed ReplicaPromotion reads Failed, with its reason; the app stays Current", async () => {
    // eu-west is the primary now and us-east is fenced (workload at zero, database not a
    // replica): a switchover back fails before fencing anything.
    await createObject(
      hub,
      "replicapromotions",
      {
        apiVersion,
        kind: "ReplicaPromotion",
        metadata: { name: "back-too-soon" },
        spec: { appRef: { name: "checkout" }, targetRegion: "us-east", type: "Switchover", approved: true },
      },
      ns(),
    );
    const read = () => getObject<ReplicaPromotion>(hub, "replicapromotions", "back-too-soon", ns());
    const verdict = await untilKstatus("the failed promotion", read, "Failed");
    const failed = await read();
    expect(failed.status?.phase).toBe("Failed");
    const stalled = failed.status?.conditions?.find((c) => c.type === "Stalled");
    expect(stalled?.status).toBe("True");
    expect(verdict.message).toBe(stalled?.message);
    expect(verdict.message).toContain("us-east");
    await untilKstatus("the app after the failed promotion", app, "Current");
    expect((await app()).status?.currentPrimary).toBe("eu-west");
  });

  it("a MemberCluster with a bad kubeconfig reads Failed (Stalled); one whose API server is down too", async () => {
    const core = kubeConfigFor(hub).makeApiClient(CoreV1Api);
    const refused = stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true } }],
      users: [{ name: "u", user: { token: "t" } }],
    });
    const cases = { garbage: "this: is: not: a kubeconfig", refused };
    for (const [name, kubeconfig] of Object.entries(cases)) {
      await core.createNamespacedSecret({
        namespace: ns(),
        body: { metadata: { name }, stringData: { kubeconfig } },
      });
      await createObject(hub, "memberclusters", {
        apiVersion,
        kind: "MemberCluster",
        metadata: { name: `${ns()}-${name}` },
        spec: { region: name, kubeconfigSecretRef: { namespace: ns(), name, key: "kubeconfig" } },
      });
    }
    const garbage = await untilKstatus(
      "a garbage kubeconfig",
      () => getMemberCluster(hub, `${ns()}-garbage`),
      "Failed",
    );
    expect(garbage.message).toMatch(/not a valid kubeconfig|current-context/);
    const down = await untilKstatus(
      "an unreachable API server",
      () => getMemberCluster(hub, `${ns()}-refused`),
      "Failed",
    );
    expect(down.message).toContain("127.0.0.1:1");
  });

  it("a RegionalApp whose FailoverPolicy is missing reads Failed, and Current once the policy exists", async () => {
    const a = await app();
    // checkout's regions, under a DNS name of its own.
    const spec = {
      ...a.spec,
      policyRef: { name: "later" },
      dns: { ...a.spec.dns, hostname: "orphan.example.test" },
    };
    await createObject(
      hub,
      "regionalapps",
      { apiVersion, kind: "RegionalApp", metadata: { name: "orphan" }, spec },
      ns(),
    );
    const orphan = () => getApp(hub, ns(), "orphan");
    const verdict = await untilKstatus("an app without its policy", orphan, "Failed");
    expect(verdict.message).toContain("later");
    const policy = await getObject<{ spec: object }>(hub, "failoverpolicies", "fast", ns());
    await createObject(
      hub,
      "failoverpolicies",
      { apiVersion, kind: "FailoverPolicy", metadata: { name: "later" }, spec: policy.spec },
      ns(),
    );
    // Its primary is spec.primaryRegion (eu-west), which is healthy: nothing left to do.
    await untilKstatus("the app once its policy exists", orphan, "Current");
    expect(
      ((await orphan()) as RegionalApp).status?.conditions?.find((c) => c.type === "Stalled")?.status,
    ).toBe("False");
  });
});
