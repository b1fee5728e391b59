import { CoreV1Api, EventsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { group, version } from "../../src/api/group.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import {
  createObject,
  createPolicy,
  custom,
  deleteMemberClusters,
  getApp,
  getMemberCluster,
  getObject,
  regionalApp,
  setUpRegions,
} from "../harness/meridian.ts";
import { type OperatorProcess, startOperator } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const { region } = sharedTestbed();
const hub = region("us-east");
const member = region("eu-west");
const ns = useNamespace([hub, member], "bad");
const apiVersion = `${group}/${version}`;
let operator: OperatorProcess;
let good: Record<string, string> = {};

type Conditioned = {
  status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
};
const condition = (obj: Conditioned, type: string) => obj.status?.conditions?.find((c) => c.type === type);

async function secret(name: string, kubeconfig: string) {
  await kubeConfigFor(hub)
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({ namespace: ns(), body: { metadata: { name }, stringData: { kubeconfig } } });
}

async function memberCluster(name: string, secretName: string) {
  await createObject(hub, "memberclusters", {
    apiVersion,
    kind: "MemberCluster",
    metadata: { name: `${ns()}-${name}` },
    spec: { region: name, kubeconfigSecretRef: { namespace: ns(), name: secretName } },
  });
}

/** Waits until a condition of a MemberCluster or RegionalApp has the reason, and returns it. */
async function reasonOf(get: () => Promise<Conditioned>, type: string, reason: string) {
  return pollUntil(`${type} reason ${reason}`, 30_000, async () => {
    const c = condition(await get(), type);
    return c?.reason === reason ? c : undefined;
  });
}

async function eventsAbout(name: string, namespace: string) {
  const events = await kubeConfigFor(hub).makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
  return events.items.filter((e) => e.regarding?.name === name);
}

beforeAll(async () => {
  good = await setUpRegions(hub, ns(), [hub, member], "web", 1);
  await createPolicy(hub, ns(), "fast", {
    intervalSeconds: 1,
    timeoutSeconds: 1,
    failureThreshold: 2,
    successThreshold: 1,
  });
  operator = await startOperator(hub, ["--namespace", ns(), "--probe-interval-seconds", "1"]);
});

afterAll(async () => {
  await operator?.stop();
  await deleteMemberClusters(hub, ns());
});

describe("operator: bad input ends in a condition and an Event that say what to fix", () => {
  it("a MemberCluster whose Secret is missing", async () => {
    await memberCluster("nosecret", "does-not-exist");
    const c = await reasonOf(
      () => getMemberCluster(hub, `${ns()}-nosecret`),
      "Ready",
      "KubeconfigSecretNotFound",
    );
    expect(c.status).toBe("False");
    expect(c.message).toContain(`Secret ${ns()}/does-not-exist not found`);
    expect(c.message).toContain("kubectl create secret generic does-not-exist");
    await pollUntil("event", 10_000, async () =>
      (await eventsAbout(`${ns()}-nosecret`, "default")).some(
        (e) => e.reason === "KubeconfigSecretNotFound" && e.type === "Warning",
      ),
    );
  });

  it("a MemberCluster whose kubeconfig is malformed", async () => {
    await secret("garbage", "this: is: not: a kubeconfig");
    await memberCluster("garbage", "garbage");
    const c = await reasonOf(() => getMemberCluster(hub, `${ns()}-garbage`), "Ready", "KubeconfigInvalid");
    expect(c.message).toMatch(/not a valid kubeconfig|current-context/);
  });

  it("a MemberCluster whose kubeconfig runs an exec plugin", async () => {
    const kubeconfig = stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      clusters: [{ name: "c", cluster: { server: member.server } }],
      users: [
        {
          name: "u",
          user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/bin/steal-tokens" } },
        },
      ],
    });
    await secret("exec", kubeconfig);
    await memberCluster("exec", "exec");
    const c = await reasonOf(() => getMemberCluster(hub, `${ns()}-exec`), "Ready", "ExecAuthRefused");
    expect(c.message).toContain("/bin/steal-tokens");
    expect(c.message).toContain("spec.allowExecAuth: true");
  });

  it("a RegionalApp whose FailoverPolicy is missing", async () => {
    const regions = [
      { name: "us-east", clusterRef: good["us-east"] as string, workload: "web" },
      { name: "eu-west", clusterRef: good["eu-west"] as string, workload: "web" },
    ];
    await createObject(hub, "regionalapps", regionalApp("nopolicy", ns(), "missing-policy", regions), ns());
    const c = await reasonOf(() => getApp(hub, ns(), "nopolicy"), "Ready", "PolicyNotFound");
    expect(c.status).toBe("False");
    expect(c.message).toContain(`FailoverPolicy ${ns()}/missing-policy not found`);
    await pollUntil("event", 10_000, async () =>
      (await eventsAbout("nopolicy", ns())).some((e) => e.reason === "PolicyNotFound"),
    );
  });

  it("a FailoverPolicy whose promotion would always time out, until it is fixed", async () => {
    const name = "slow-lease";
    const spec = {
      fencing: { leaseDurationSeconds: 60, renewDeadlineSeconds: 40 },
      promotion: { timeoutSeconds: 30 },
    };
    await createObject(
      hub,
      "failoverpolicies",
      { apiVersion, kind: "FailoverPolicy", metadata: { name }, spec },
      ns(),
    );
    const getPolicy = () => getObject<Conditioned>(hub, "failoverpolicies", name, ns());
    const invalid = await reasonOf(getPolicy, "Ready", "PolicyInvalid");
    expect(invalid.status).toBe("False");
    expect(invalid.message).toContain(
      "promotion.timeoutSeconds (30) must exceed the lease expiry wait (65 s",
    );
    await pollUntil("event", 10_000, async () =>
      (await eventsAbout(name, ns())).some((e) => e.reason === "PolicyInvalid" && e.type === "Warning"),
    );
    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "failoverpolicies",
        namespace: ns(),
        name,
        body: [{ op: "replace", path: "/spec/promotion/timeoutSeconds", value: 120 }],
      },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    const valid = await reasonOf(getPolicy, "Ready", "PolicyValid");
    expect(valid.status).toBe("True");
    expect((await getPolicy()) as { status?: { observedGeneration?: number } }).toMatchObject({
      status: { observedGeneration: 2 },
    });
  });

  it("a RegionalApp naming an unknown MemberCluster or a missing workload", async () => {
    const regions = [
      { name: "us-east", clusterRef: good["us-east"] as string, workload: "web" },
      { name: "eu-west", clusterRef: "no-such-cluster", workload: "web" },
      { name: "ap-south", clusterRef: good["eu-west"] as string, workload: "no-such-workload" },
    ];
    await createObject(hub, "regionalapps", regionalApp("broken-refs", ns(), "fast", regions), ns());
    const app1 = await pollUntil("both regions judged", 30_000, async () => {
      const a = await getApp(hub, ns(), "broken-refs");
      const regionsDown = a.status?.regions?.filter((r) => r.healthy === false) ?? [];
      return regionsDown.length === 2 ? a : undefined;
    });
    const byName = Object.fromEntries((app1.status?.regions ?? []).map((r) => [r.name, r]));
    expect(byName["eu-west"]?.message).toBe("MemberCluster no-such-cluster not found");
    expect(byName["ap-south"]?.message).toContain(`workload Deployment ${ns()}/no-such-workload not found`);
    expect(byName["us-east"]?.healthy).toBe(true);
    const degraded = condition(app1, "Degraded");
    expect(degraded?.status).toBe("True");
    expect(degraded?.message).toContain("no-such-cluster");
    // Pre-flight names the first region's own problem, and lists every region's.
    expect(condition(app1, "FailoverReady")).toMatchObject({
      status: "False",
      reason: "MemberClusterNotFound",
    });
    expect(condition(app1, "FailoverReady")?.message).toContain("no-such-workload");
    const reasons = (await eventsAbout("broken-refs", ns())).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["MemberClusterNotFound", "WorkloadNotFound"]));
  });

  it("never crashes nor retries in a hot loop", async () => {
    const errors = `controller_runtime_reconcile_total{controller="membercluster",result="error"}`;
    const first = (await operator.metric(errors)) ?? 0;
    await new Promise((r) => setTimeout(r, 3000)); // a measurement window, not synchronisation
    const second = (await operator.metric(errors)) ?? 0;
    // Three broken MemberClusters retried with backoff from 1 s: a handful of retries, not hundreds.
    expect(second - first).toBeLessThanOrEqual(9);
    expect(operator.proc.exitCode).toBeNull();
    const events = await eventsAbout(`${ns()}-nosecret`, "default");
    expect(events.filter((e) => e.reason === "KubeconfigSecretNotFound")).toHaveLength(1); // repeats go to series
  });
});
