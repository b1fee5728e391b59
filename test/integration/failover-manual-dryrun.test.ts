import {
  AppsV1Api,
  CoordinationV1Api,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { ReplicaPromotion } from "../../src/api/types.generated.ts";
import { PostgresPromoter } from "../../src/promotion/postgresql.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { endpoints, hostname, promotionsOf } from "../harness/failover-setup.ts";
import { createObject, custom, getApp } from "../harness/meridian.ts";
import { pollUntil } from "../harness/poll.ts";
import { query } from "../harness/postgres.ts";
import { kubeConfigFor, type Region } from "../harness/testbed.ts";
import { scaleDeployment } from "../harness/workloads.ts";

// Issue 12, item 3, end to end: a dry run touches nothing (Leases, databases, DNS, workloads), and
// a failover under a Manual policy waits in Pending — Approved=False, an Event, a metric — until
// a person sets spec.approved, then completes.

const { hub, primary, standby, ns, get, failoverReady } = useFailoverApp("manual", {
  policy: { mode: "Manual" },
});
const apiVersion = `${group}/${version}`;
const condition = (p: ReplicaPromotion | undefined, type: string) =>
  p?.status?.conditions?.find((c) => c.type === type);

/** Everything a promotion could change, read independently of Meridian's own status. */
async function worldSnapshot() {
  const { pg, bind } = get().bed;
  const replicas = async (r: Region) => {
    const d = await kubeConfigFor(r)
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: "checkout", namespace: ns() });
    return { replicas: d.spec?.replicas, annotations: d.metadata?.annotations ?? {} };
  };
  // The operator runs with --namespace ns(): region Leases and its own leader Lease live there.
  const leases = await kubeConfigFor(hub)
    .makeApiClient(CoordinationV1Api)
    .listNamespacedLease({ namespace: ns() });
  const promoter = new PostgresPromoter();
  const app = await getApp(hub, ns(), "checkout");
  return {
    dns: await bind.dig(hostname, "A"),
    soa: await bind.dig("example.test", "SOA"),
    usEast: await replicas(primary),
    euWest: await replicas(standby),
    primaryInRecovery: (
      await query<{ r: boolean }>(pg.primary.meridianUri, "select pg_is_in_recovery() as r")
    )[0]?.r,
    replicaInRecovery: (
      await query<{ r: boolean }>(pg.replica.meridianUri, "select pg_is_in_recovery() as r")
    )[0]?.r,
    primaryFenced: (await promoter.fenceState(pg.primary.endpoint, 0)).fenced,
    // Every Lease but the operator's own leader-election Lease, which it renews all the time.
    leases: leases.items
      .filter((l) => !l.metadata?.name?.startsWith("meridian-operator"))
      .map((l) => `${l.metadata?.namespace}/${l.metadata?.name}@${l.metadata?.resourceVersion}`)
      .sort(),
    app: {
      epoch: app.status?.epoch ?? 0,
      primary: app.status?.currentPrimary,
      handover: app.status?.handover,
    },
  };
}

async function promotion(name: string): Promise<ReplicaPromotion> {
  return (await custom(hub).getNamespacedCustomObject({
    group,
    version,
    plural: "replicapromotions",
    namespace: ns(),
    name,
  })) as ReplicaPromotion;
}

describe("dry runs and Manual mode, end to end", () => {
  it("a dry run runs every check, says what it would do, and touches nothing", async () => {
    await failoverReady();
    const before = await worldSnapshot();
    expect(before.primaryInRecovery).toBe(false);
    expect(before.replicaInRecovery).toBe(true);
    expect(before.primaryFenced).toBe(false);
    await createObject(
      hub,
      "replicapromotions",
      {
        apiVersion,
        kind: "ReplicaPromotion",
        metadata: { name: "rehearsal" },
        spec: {
          appRef: { name: "checkout" },
          type: "Switchover",
          targetRegion: "eu-west",
          dryRun: true,
          approved: true,
        },
      },
      ns(),
    );
    const done = await pollUntil("dry run finished", 60_000, async () => {
      const p = await promotion("rehearsal");
      return ["Succeeded", "Failed", "Aborted"].includes(p.status?.phase ?? "") ? p : undefined;
    });
    expect(done.status?.phase).toBe("Succeeded");
    expect(condition(done, "Ready")?.message).toMatch(
      /^dry run: every check passed; would fence the old primary directly/,
    );
    expect(condition(done, "Approved")).toMatchObject({ status: "True", reason: "ApprovedInSpec" });
    expect(done.status?.epoch).toBeUndefined();
    expect(await worldSnapshot()).toEqual(before);
  });

  it("a failover under a Manual policy waits for approval, then completes", async () => {
    const { operator } = get();
    if (!operator) throw new Error("the file's operator is not running");
    // The primary's workload fails; the cluster and its database stay reachable.
    await scaleDeployment(primary, ns(), "checkout", 0);
    const waiting = await pollUntil("a failover awaiting approval", 60_000, async () => {
      const p = (await promotionsOf(hub, ns(), "checkout")).find((x) => x.spec.type === "Failover");
      return p?.status?.phase === "Pending" && condition(p, "Approved")?.status === "False" ? p : undefined;
    });
    const name = waiting.metadata?.name ?? "";
    expect(waiting.spec.approved).toBe(false);
    expect(condition(waiting, "Approved")).toMatchObject({ reason: "AwaitingApproval" });
    expect(condition(waiting, "Approved")?.message).toContain(`kubectl meridian approve ${name}`);
    await pollUntil("the AwaitingApproval Event", 10_000, async () => {
      const events = await kubeConfigFor(hub)
        .makeApiClient(EventsV1Api)
        .listNamespacedEvent({ namespace: ns() });
      return events.items.some((e) => e.regarding?.name === name && e.reason === "AwaitingApproval");
    });
    const gauge = `meridian_promotion_awaiting_approval{namespace="${ns()}",promotion="${name}"}`;
    await pollUntil("the awaiting-approval metric", 10_000, async () => (await operator.metric(gauge)) === 1);

    // While it waits, nothing is fenced or moved: a window of several reconciles, then look.
    const held = await worldSnapshot();
    await new Promise((r) => setTimeout(r, 3000)); // a measurement window, not synchronisation
    expect(await worldSnapshot()).toEqual(held);
    expect(held.primaryFenced).toBe(false);
    expect(held.dns).toEqual([endpoints["us-east"]]);
    expect((await promotion(name)).status?.phase).toBe("Pending");

    // A person approves (from Git or `kubectl meridian approve`: both set spec.approved).
    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "replicapromotions",
        namespace: ns(),
        name,
        body: { spec: { approved: true } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const done = await pollUntil("the approved failover to finish", 120_000, async () => {
      const p = await promotion(name);
      if (["Succeeded", "Failed", "Aborted"].includes(p.status?.phase ?? "")) return p;
      throw new Error(
        `${p.status?.phase}: ${p.status?.conditions?.find((c) => c.type === "Ready")?.message}`,
      );
    });
    expect(done.status?.phase).toBe("Succeeded");
    expect(condition(done, "Approved")).toMatchObject({ status: "True", reason: "ApprovedInSpec" });
    expect(await get().bed.bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
    expect((await getApp(hub, ns(), "checkout")).status?.currentPrimary).toBe("eu-west");
    await pollUntil("the metric is gone", 10_000, async () => (await operator.metric(gauge)) === undefined);
    expect(get().checker.splitBrainRounds()).toEqual([]);
  });
});
