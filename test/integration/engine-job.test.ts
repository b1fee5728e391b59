// The job engine on the test bed: the user's fence, lag and promote Jobs run in the member clusters
// (kwok runs their pods: they exit 0, or 1 when the container has MERIDIAN_TEST_EXIT=fail, a stage
// of the test bed's own, test/fixtures/kwok/stages.yaml). kwok serves no pod logs, so the failure
// report shows that logs are absent instead of their tail.
import { BatchV1Api, PatchStrategy, setHeaderOptions, type V1Job } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { BindServer } from "../harness/bind.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import {
  eventsFor,
  requestPromotion,
  setUpEngineApp,
  waitUntilFailoverReady,
  waitUntilRegionHealthy,
} from "../harness/engine-app.ts";
import { endpoints, finished, hostname, promotionsOf } from "../harness/failover-setup.ts";
import { custom, deleteMemberClusters, getApp } from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor, type Region } from "../harness/testbed.ts";
import { scaleDeployment } from "../harness/workloads.ts";

const { region } = sharedTestbed();
const primary = region("us-east");
const standby = region("eu-west");
const hub = primary;
const ns = useNamespace([primary, standby], "jobeng");
let bind: BindServer | undefined;
let operator: OperatorProcess | undefined;

const step = (name: string) => ({
  image: "registry.example/db-tools:1",
  command: [`/usr/local/bin/${name}`],
});
const templates = { fence: step("fence"), promote: step("promote"), lag: step("wait-for-zero-lag") };

const jobsIn = async (r: Region): Promise<V1Job[]> =>
  (await kubeConfigFor(r).makeApiClient(BatchV1Api).listNamespacedJob({ namespace: ns() })).items;
const envOf = (job: V1Job | undefined) =>
  Object.fromEntries((job?.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));

async function finishedPromotion(name?: string) {
  return pollUntil(
    `promotion ${name ?? "(first)"} to finish`,
    180_000,
    async () => {
      const all = await promotionsOf(hub, ns(), "checkout");
      const p = name ? all.find((x) => x.metadata?.name === name) : all[0];
      return finished(p) ? p : undefined;
    },
    250,
  );
}

beforeAll(async () => {
  bind = await setUpEngineApp(
    { hub, primary, standby },
    ns(),
    { engine: "job", job: templates },
    () => undefined,
  );
  operator = await startOperator(hub, ["--namespace", ns(), "--probe-interval-seconds", "1"]);
});

afterAll(async () => {
  await operator?.stop();
  await deleteMemberClusters(hub, ns());
  await bind?.stop();
});

describe("job engine", () => {
  it("a switchover runs the fence Job in us-east, then the lag and promote Jobs in eu-west, then moves DNS", async () => {
    await waitUntilFailoverReady(hub, ns());
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
    const done = await finishedPromotion();
    expect(done.status?.phase, JSON.stringify(done.status?.steps)).toBe("Succeeded");

    const east = await jobsIn(primary);
    const west = await jobsIn(standby);
    // Each step ran once, in its region, named after app, step and epoch.
    expect(east.map((j) => j.metadata?.name)).toEqual(["meridian-checkout-fence-e1"]);
    expect(west.map((j) => j.metadata?.name).sort()).toEqual([
      "meridian-checkout-lag-e1",
      "meridian-checkout-promote-e1",
    ]);
    const fence = east[0];
    const promote = west.find((j) => j.metadata?.name === "meridian-checkout-promote-e1");
    expect(envOf(fence)).toMatchObject({
      MERIDIAN_STEP: "fence",
      MERIDIAN_EPOCH: "1",
      MERIDIAN_APP: "checkout",
      MERIDIAN_REGION: "us-east",
      MERIDIAN_FROM_REGION: "us-east",
      MERIDIAN_TO_REGION: "eu-west",
    });
    expect(envOf(promote)).toMatchObject({
      MERIDIAN_STEP: "promote",
      MERIDIAN_REGION: "eu-west",
      MERIDIAN_MAX_LAG_BYTES: String(16 * 1024 * 1024),
      MERIDIAN_ALLOW_DATA_LOSS: "false",
    });
    expect(promote?.spec?.template.spec?.containers[0]?.command).toEqual(["/usr/local/bin/promote"]);
    // Fence verified before promote: the fence Job had completed when the promote Job was created.
    const fenced = Date.parse(String(fence?.status?.completionTime));
    const promoteCreated = Date.parse(String(promote?.metadata?.creationTimestamp));
    expect(fenced).toBeLessThanOrEqual(promoteCreated);
    expect(await bind?.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
    const app = await pollUntil("the app records eu-west", 10_000, async () => {
      const a = await getApp(hub, ns(), "checkout");
      return a.status?.currentPrimary === "eu-west" ? a : undefined;
    });
    expect(app.status?.epoch).toBe(1);
  });

  it("a promote Job that fails fails the promotion with DatabaseStepFailed, naming the Job and its exit", async () => {
    // The switchover scaled us-east's workload to zero; as a standby again it runs one replica.
    await scaleDeployment(primary, ns(), "checkout", 1);
    await waitUntilRegionHealthy(hub, ns(), "us-east");
    const failing = { ...templates.promote, env: [{ name: "MERIDIAN_TEST_EXIT", value: "fail" }] };
    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "regionalapps",
        namespace: ns(),
        name: "checkout",
        body: { spec: { database: { job: { promote: failing } } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await requestPromotion(hub, ns(), "back-to-us-east", "us-east");
    const failed = await finishedPromotion("back-to-us-east");
    expect(failed.status?.phase).toBe("Failed");
    const message = failed.status?.steps?.at(-1)?.message ?? "";
    expect(message).toContain("promote Job");
    expect(message).toContain("meridian-checkout-promote-e2");
    expect(message).toContain("exited 1");
    // kwok serves no logs: the report says so rather than failing.
    expect(message).toContain("no logs available");
    expect((await eventsFor(hub, ns(), "back-to-us-east", "DatabaseStepFailed")).length).toBeGreaterThan(0);
    // The fence Job of epoch 2 ran in eu-west; DNS was never moved to us-east.
    expect((await jobsIn(standby)).map((j) => j.metadata?.name)).toContain("meridian-checkout-fence-e2");
    expect(await bind?.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
  });
});
