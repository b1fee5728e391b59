// The job engine across operator crashes: the operator is SIGKILLed right after the fence Job
// completed and again right after the promote Job completed, each time before it recorded
// anything; the restarted operator must re-find those Jobs (named after app, step and epoch)
// rather than run a step twice, and finish the one promotion.
import { BatchV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { BindServer } from "../harness/bind.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { startOperatorCrashingAt } from "../harness/crash-process.ts";
import { setUpEngineApp, waitUntilFailoverReady } from "../harness/engine-app.ts";
import { endpoints, hostname, promotionFinished, promotionsOf } from "../harness/failover-setup.ts";
import { custom, deleteMemberClusters, getApp } from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { kubeConfigFor, type Region } from "../harness/testbed.ts";

const { region } = sharedTestbed();
const primary = region("us-east");
const standby = region("eu-west");
const hub = primary;
const ns = useNamespace([primary, standby], "jobcrash");
const running: OperatorProcess[] = [];
let bind: BindServer | undefined;
const operatorArgs = () => ["--namespace", ns(), "--probe-interval-seconds", "1"];
const step = (name: string) => ({
  image: "registry.example/db-tools:1",
  command: [`/usr/local/bin/${name}`],
});

const jobNames = async (r: Region) =>
  (await kubeConfigFor(r).makeApiClient(BatchV1Api).listNamespacedJob({ namespace: ns() })).items
    .map((j) => j.metadata?.name)
    .sort();

beforeAll(async () => {
  bind = await setUpEngineApp(
    { hub, primary, standby },
    ns(),
    { engine: "job", job: { fence: step("fence"), promote: step("promote") } },
    () => undefined,
  );
  const first = await startOperator(hub, operatorArgs());
  running.push(first);
  await waitUntilFailoverReady(hub, ns());
  await first.stop("SIGKILL");
});

afterAll(async () => {
  for (const op of running) await op.stop("SIGKILL");
  await deleteMemberClusters(hub, ns());
  await bind?.stop();
});

describe("job engine, operator killed mid-step", () => {
  it("SIGKILL after the fence Job and after the promote Job, restart: one Job per step, one promotion", async () => {
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
    for (const point of ["promotion.after-fence", "promotion.after-promote"]) {
      const op = await startOperatorCrashingAt(hub, operatorArgs(), point);
      running.push(op);
      await op.crashed(180_000, point);
    }
    running.push(await startOperator(hub, operatorArgs()));
    const done = await promotionFinished(hub, ns(), "checkout", 180_000);
    expect(done.status?.phase, JSON.stringify(done.status?.steps)).toBe("Succeeded");
    expect(await promotionsOf(hub, ns(), "checkout")).toHaveLength(1);
    expect(done.status?.steps?.map((s) => s.name)).toEqual([
      "Pending",
      "Fencing",
      "Promoting",
      "Rerouting",
      "Verifying",
      "Succeeded",
    ]);
    // Each step's Job ran once, though the operator that started it died before recording it.
    expect(await jobNames(primary)).toEqual(["meridian-checkout-fence-e1"]);
    expect(await jobNames(standby)).toEqual(["meridian-checkout-promote-e1"]);
    expect(await bind?.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
    expect((await getApp(hub, ns(), "checkout")).status).toMatchObject({
      currentPrimary: "eu-west",
      epoch: 1,
    });
  });
});
