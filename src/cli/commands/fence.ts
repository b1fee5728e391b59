// meridian fence / unfence APP --region REGION: a person's emergency brake for one region, with the
// same adapters the operator fences with (scale the workload to zero, fence the database at the
// app's current epoch). Both are idempotent and ask for confirmation. See docs/cli.md.
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Command } from "commander";
import { pino } from "pino";
import { apiVersion, group, version } from "../../api/group.ts";
import { Reason } from "../../api/reasons.ts";
import type { FailoverPolicy, MemberCluster, RegionalApp } from "../../api/types.generated.ts";
import { loadMemberKubeconfig } from "../../clusters/kubeconfig.ts";
import { databaseOf } from "../../controllers/replicapromotion/databases.ts";
import { workloadOf } from "../../controllers/replicapromotion/facts.ts";
import { regionLeaseLabel, regionLeaseName } from "../../fencing/region-lease.ts";
import { readReplicasBeforeFence, scaleToZero, scaleUpTo, type WorkloadRef } from "../../fencing/workload.ts";
import { promoterFor } from "../../promotion/engines.ts";
import type { DatabaseEndpoint, Promoter } from "../../promotion/promoter.ts";
import { EventRecorder } from "../../runtime/events.ts";
import { type CliIO, kubeOptions, pause, withKubeOptions } from "../context.ts";
import { apiError, CliError, connect, getApp, type Hub, type KubeOptions } from "../kube.ts";
import { paint } from "../style.ts";
import { type FencePlan, planFence, planUnfence, type RegionFacts, restoreSize } from "./fence-plan.ts";

interface FenceOptions extends KubeOptions {
  region: string;
  yes?: boolean;
  force?: boolean;
}

/** Everything a fence or unfence of one region acts on, read fresh. */
interface Target {
  app: RegionalApp;
  member: KubeConfig;
  workload: WorkloadRef;
  promoter: Promoter | undefined;
  db: DatabaseEndpoint | undefined;
  facts: RegionFacts;
}

export function registerFence(program: Command, io: CliIO, done: (code: number) => void): void {
  const safety =
    " It asks for confirmation first (--yes skips the question; without a terminal, --yes is required).";
  const fence = program
    .command("fence")
    .argument("<app>", "the RegionalApp")
    .requiredOption("--region <region>", "the region to fence: a name in the app's spec.regions")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--force", "fence even the only healthy region, or during a running promotion")
    .summary("emergency: stop one region of an app taking writes (workload to zero, database fenced)")
    .description(
      "For a person's emergency use: makes one region of an app stop taking writes with the same " +
        "adapters the operator fences with. It scales the region's workload to zero (its size kept in " +
        "the annotation meridian.dev/replicas-before-fence) and, when the region's database is a " +
        "writable primary, fences it at the app's current epoch (new connections refused, sessions " +
        "ended, the fence recorded in the database). Running it again changes nothing. It then shows " +
        "what Meridian will do: fencing the primary makes the region unhealthy, so an Automatic policy " +
        "fails over. It refuses to fence the only healthy region, or during a running promotion, " +
        `unless --force. An Event RegionFencedManually on the RegionalApp records it.${safety}`,
    );
  withKubeOptions(fence)
    .addHelpText("after", "\nExample:\n  kubectl meridian fence checkout -n shop --region us-east")
    .action(async (appName: string, o: FenceOptions) => {
      done(await runFence(connect(kubeOptions(o)), io, appName, o));
    });

  const unfence = program
    .command("unfence")
    .argument("<app>", "the RegionalApp")
    .requiredOption("--region <region>", "the region to unfence")
    .option("-y, --yes", "do not ask for confirmation")
    .summary("undo a fence where that is safe: reopen the primary's database, scale the workload back")
    .description(
      "Undoes a fence of one region only where that cannot make a second writable database: the " +
        "database is reopened only while the app still names this region primary and the fence is " +
        "recorded at the current epoch; a fenced former primary is refused (rebuild it as a replica " +
        "first). The workload goes back to the size recorded when it was fenced. Idempotent. " +
        `An Event RegionUnfencedManually on the RegionalApp records it.${safety}`,
    );
  withKubeOptions(unfence)
    .addHelpText("after", "\nExample:\n  kubectl meridian unfence checkout -n shop --region us-east")
    .action(async (appName: string, o: FenceOptions) => {
      done(await runUnfence(connect(kubeOptions(o)), io, appName, o));
    });
}

async function memberClient(hub: Hub, clusterName: string): Promise<KubeConfig> {
  let mc: MemberCluster;
  try {
    mc = (await hub.custom.getClusterCustomObject({
      group,
      version,
      plural: "memberclusters",
      name: clusterName,
    })) as MemberCluster;
  } catch (err) {
    throw apiError(err, `MemberCluster ${clusterName}`, hub);
  }
  const ref = mc.spec.kubeconfigSecretRef;
  const where = `Secret ${ref.namespace}/${ref.name}`;
  const secret = await hub.kc
    .makeApiClient(CoreV1Api)
    .readNamespacedSecret({ namespace: ref.namespace, name: ref.name })
    .catch((err: unknown) => {
      throw apiError(err, `${where} (kubeconfig of MemberCluster ${clusterName})`, hub);
    });
  const data = secret.data?.[ref.key ?? "kubeconfig"];
  if (!data)
    throw new CliError(
      `${where} has no key ${ref.key ?? "kubeconfig"}: fix MemberCluster ${clusterName}'s kubeconfigSecretRef`,
    );
  const loaded = loadMemberKubeconfig(
    Buffer.from(data, "base64").toString("utf8"),
    where,
    mc.spec.allowExecAuth,
  );
  if (!loaded.ok) throw new CliError(loaded.problem.message);
  return loaded.kc;
}

async function policyMode(hub: Hub, app: RegionalApp): Promise<FailoverPolicy["spec"]["mode"] | undefined> {
  const p = (await hub.custom
    .getNamespacedCustomObject({
      group,
      version,
      plural: "failoverpolicies",
      namespace: hub.namespace,
      name: app.spec.policyRef.name,
    })
    .catch(() => undefined)) as FailoverPolicy | undefined;
  return p?.spec.mode;
}

async function target(hub: Hub, appName: string, region: string): Promise<Target> {
  const app = await getApp(hub, appName);
  const spec = app.spec.regions.find((r) => r.name === region);
  if (!spec) {
    throw new CliError(
      `RegionalApp ${hub.namespace}/${appName} has no region ${region}: use one of ${app.spec.regions.map((r) => r.name).join(", ")}`,
      2,
    );
  }
  const workload = workloadOf(app, region) as WorkloadRef;
  const member = await memberClient(hub, spec.clusterRef);
  const promoter = promoterFor(app.spec.database.engine);
  const lookup = {
    hub: hub.kc,
    registry: { get: (c: string) => (c === spec.clusterRef ? { kc: member } : undefined) },
  };
  const db = promoter ? await databaseOf(lookup, app, region) : undefined;
  let database: RegionFacts["database"];
  if (promoter && db) {
    try {
      database = (await promoter.state(db)).inRecovery ? "replica" : "primary";
    } catch (err) {
      throw new CliError(
        `cannot reach the database of ${region} to see whether it is a primary: ${(err as Error).message}`,
      );
    }
  }
  const mode = await policyMode(hub, app);
  return {
    app,
    member,
    workload,
    promoter,
    db,
    facts: {
      cluster: spec.clusterRef,
      workload: `${workload.kind} ${workload.namespace}/${workload.name}`,
      ...(database ? { database } : {}),
      ...(mode ? { mode } : {}),
    },
  };
}

/** Prints the plan and asks; returns an exit code to stop with, or undefined to go ahead. */
async function confirmPlan(
  io: CliIO,
  title: string,
  plan: FencePlan,
  o: FenceOptions,
): Promise<number | undefined> {
  if (plan.refusal && !(plan.refusal.force && o.force)) {
    io.err(`error: ${plan.refusal.message}${plan.refusal.force ? " (pass --force to do it anyway)" : ""}`);
    return 1;
  }
  io.out(title);
  for (const s of plan.steps) io.out(`  - ${s}`);
  if (plan.consequence) io.out(`Then: ${plan.consequence}.`);
  if (o.yes) return undefined;
  if (await io.confirm("Go ahead?")) return undefined;
  io.err("Nothing was changed (confirm with y, or pass --yes when there is no terminal).");
  return 1;
}

function recorder(hub: Hub) {
  return new EventRecorder<Reason>(hub.kc, {
    controller: "meridian.dev/cli",
    instance: "meridian-cli",
    log: pino({ level: "silent" }),
  });
}

const subject = (app: RegionalApp) => ({
  apiVersion,
  kind: "RegionalApp",
  name: app.metadata?.name ?? "",
  namespace: app.metadata?.namespace ?? "",
  uid: app.metadata?.uid ?? "",
});

async function runFence(hub: Hub, io: CliIO, appName: string, o: FenceOptions): Promise<number> {
  const t = await target(hub, appName, o.region);
  const epoch = t.app.status?.epoch ?? 0;
  const plan = planFence(t.app, o.region, t.facts);
  const stop = await confirmPlan(
    io,
    `Fence region ${o.region} of RegionalApp ${hub.namespace}/${appName}:`,
    plan,
    o,
  );
  if (stop !== undefined) return stop;
  const before = await scaleToZero(t.member, t.workload);
  io.out(`${paint(io.color, "good", "✓")} ${t.facts.workload} scaled to 0 (was ${before})`);
  if (t.promoter && t.db && t.facts.database === "primary") {
    await t.promoter.fence(t.db, epoch);
    const state = await t.promoter.fenceState(t.db, epoch);
    if (!state.fenced)
      throw new CliError(`the database of ${o.region} is not fenced after the fence: ${state.detail}`);
    io.out(`${paint(io.color, "good", "✓")} database fenced at epoch ${epoch}: ${state.detail}`);
  }
  await recorder(hub).record(
    subject(t.app),
    "Warning",
    Reason.RegionFencedManually,
    "Fence",
    `region ${o.region} fenced by a person with the meridian CLI: workload scaled to 0${t.facts.database === "primary" ? `, database fenced at epoch ${epoch}` : ""}`,
  );
  io.out(
    `Region ${o.region} is fenced. Undo with: meridian unfence ${appName} -n ${hub.namespace} --region ${o.region}`,
  );
  return 0;
}

/** How long unfence watches a region Lease for a renewal; agents renew every 2 s or sooner. */
const renewalWindowMs = 4000;

/**
 * The hub may promote away from a region whose agent stopped renewing its region Lease, without
 * fencing it itself (the agent fenced on its own, docs/fencing.md): a database reopened then would
 * be a second primary. So reopen only while the agent renews, or where no agent runs at all (the
 * hub then fails over only from a reachable primary, which it fences itself).
 */
async function requireAgentRenewing(hub: Hub, io: CliIO, cluster: string): Promise<void> {
  const api = hub.kc.makeApiClient(CoordinationV1Api);
  const read = async () => {
    try {
      const list = await api.listLeaseForAllNamespaces({ labelSelector: `${regionLeaseLabel}=${cluster}` });
      return list.items.find((l) => l.metadata?.name === regionLeaseName(cluster));
    } catch (err) {
      throw apiError(
        err,
        `the region Lease ${regionLeaseName(cluster)} (to check that the agent of ${cluster} renews it)`,
        hub,
      );
    }
  };
  const first = await read();
  if (!first) return;
  const deadline = io.now() + renewalWindowMs;
  while (io.now() < deadline && !io.signal.aborted) {
    await pause(500, io.signal);
    if ((await read())?.metadata?.resourceVersion !== first.metadata?.resourceVersion) return;
  }
  throw new CliError(
    `the agent of ${cluster} has not renewed its region Lease ${first.metadata?.namespace}/${regionLeaseName(cluster)} for ${renewalWindowMs / 1000} s: the hub may promote another region by lease expiry, so the database is not reopened. Reopen it once the agent renews again (docs/runbooks/RegionFenced.md)`,
  );
}

/**
 * A promotion that started between the plan's read and the reopen has a newer epoch: fence again
 * at once at that epoch (the engine refuses anything older), so the reopened database cannot stay
 * writable beside a new primary.
 */
async function refenceIfOvertaken(hub: Hub, t: Target, appName: string, epoch: number): Promise<void> {
  const now = await getApp(hub, appName);
  const moved = now.status?.handover ?? ((now.status?.epoch ?? 0) !== epoch ? now.status : undefined);
  if (!moved || !t.promoter || !t.db) return;
  const newer = Math.max(now.status?.handover?.epoch ?? 0, now.status?.epoch ?? 0);
  await t.promoter.fence(t.db, newer);
  throw new CliError(
    `a promotion started while the database was being reopened (epoch ${newer}): it has been fenced again at epoch ${newer}; see \`meridian promotions ${appName}\``,
  );
}

async function runUnfence(hub: Hub, io: CliIO, appName: string, o: FenceOptions): Promise<number> {
  const t = await target(hub, appName, o.region);
  const epoch = t.app.status?.epoch ?? 0;
  const recorded = await readReplicasBeforeFence(t.member, t.workload);
  const standbyReplicas = t.app.spec.regions.find((r) => r.name === o.region)?.standbyReplicas;
  const size = restoreSize(recorded, standbyReplicas);
  const plan = planUnfence(t.app, o.region, {
    ...t.facts,
    ...(recorded !== undefined ? { replicasBefore: recorded } : {}),
    ...(standbyReplicas !== undefined ? { standbyReplicas } : {}),
  });
  const stop = await confirmPlan(
    io,
    `Unfence region ${o.region} of RegionalApp ${hub.namespace}/${appName}:`,
    plan,
    o,
  );
  if (stop !== undefined) return stop;
  if (t.promoter && t.db && t.facts.database === "primary") {
    const state = await t.promoter.fenceState(t.db, epoch);
    if (state.fenced) {
      await requireAgentRenewing(hub, io, t.facts.cluster);
      // reopen() checks again, inside the database, that the fence is recorded at exactly this epoch.
      await t.promoter.reopen(t.db, epoch);
      await refenceIfOvertaken(hub, t, appName, epoch);
      io.out(`${paint(io.color, "good", "✓")} database reopened at epoch ${epoch}`);
    } else {
      io.out(`  database not reopened: ${state.detail}`);
    }
  }
  if (size !== undefined) {
    await scaleUpTo(t.member, t.workload, size);
    io.out(`${paint(io.color, "good", "✓")} ${t.facts.workload} scaled back to ${size}`);
  }
  await recorder(hub).record(
    subject(t.app),
    "Normal",
    Reason.RegionUnfencedManually,
    "Unfence",
    `region ${o.region} unfenced by a person with the meridian CLI`,
  );
  io.out(`Region ${o.region} is unfenced.`);
  return 0;
}
