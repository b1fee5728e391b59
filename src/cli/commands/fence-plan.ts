// What a person's `meridian fence` / `unfence` of one region would do, decided on a fresh read of
// the app before anything is touched: refusals (with the flag or action that gets past them), the
// steps, and what Meridian will do afterwards. Pure: the region's database role is an input.
import type { FailoverMode, RegionalApp } from "../../api/types.generated.ts";

export interface FencePlan {
  /** Why the command refuses; `force` says whether --force gets past it. */
  refusal?: { message: string; force: boolean };
  /** What will be done, in order, as the confirmation prompt lists it. */
  steps: string[];
  /** What Meridian does next, in words. */
  consequence: string;
}

export interface RegionFacts {
  /** MemberCluster running the region. */
  cluster: string;
  /** "Deployment shop/checkout". */
  workload: string;
  /** The engine's database, unless spec.database.engine is none. */
  database?: "primary" | "replica";
  /** The policy's mode, if the policy could be read. */
  mode?: FailoverMode;
}

const id = (app: RegionalApp) => `${app.metadata?.namespace}/${app.metadata?.name}`;
const primaryOf = (app: RegionalApp) => app.status?.currentPrimary ?? app.spec.primaryRegion;
const healthy = (app: RegionalApp, region: string) =>
  app.status?.regions?.find((r) => r.name === region)?.healthy === true;

/** A promotion moving the primary: a manual fence or unfence now would race it. */
function promotionRunning(app: RegionalApp): string | undefined {
  const h = app.status?.handover;
  return h ? `ReplicaPromotion ${h.promotionRef} is moving the primary from ${h.from} to ${h.to}` : undefined;
}

export function planFence(app: RegionalApp, region: string, facts: RegionFacts): FencePlan {
  const epoch = app.status?.epoch ?? 0;
  const isPrimary = region === primaryOf(app);
  const steps = [
    `scale ${facts.workload} in MemberCluster ${facts.cluster} to 0 replicas (its size is kept in the annotation meridian.dev/replicas-before-fence)`,
  ];
  if (facts.database === "primary") {
    steps.push(
      `fence its database at epoch ${epoch}: new connections refused, open sessions ended, the fence recorded in the database`,
    );
  } else if (facts.database === "replica") {
    steps.push("leave its database alone: it is a replica and takes no writes");
  }
  const others = app.spec.regions.filter((r) => r.name !== region && healthy(app, r.name)).map((r) => r.name);
  let consequence: string;
  if (!isPrimary) {
    consequence = `${region} stops being a failover target while fenced; ${primaryOf(app)} keeps serving`;
  } else if (app.spec.suspend) {
    consequence = `the app is suspended, so Meridian moves nothing: ${app.metadata?.name} stops serving writes until you unfence ${region} or switch over`;
  } else if (others.length === 0) {
    consequence = `no other region is healthy: ${app.metadata?.name} stops serving until you unfence ${region}`;
  } else if (facts.mode === "Manual") {
    consequence = `Meridian sees ${region} unhealthy and creates a Failover promotion that waits for approval (meridian approve)`;
  } else {
    consequence = `Meridian sees ${region} unhealthy and fails over to ${others.join(" or ")} (policy Automatic)`;
  }
  const running = promotionRunning(app);
  if (running) {
    return {
      refusal: {
        message: `${running}: fencing during a promotion could fail it half-way; wait for it to end`,
        force: true,
      },
      steps,
      consequence,
    };
  }
  if (healthy(app, region) && others.length === 0) {
    return {
      refusal: {
        message: `${region} is the only healthy region of RegionalApp ${id(app)}: fencing it stops the app everywhere`,
        force: true,
      },
      steps,
      consequence,
    };
  }
  return { steps, consequence };
}

/**
 * Unfencing gives a region back what a fence took, and only where that can never make a second
 * writable database: the primary's own database is reopened only while the app still names it
 * primary at the epoch its fence records (the engine checks that epoch again as it reopens), and a
 * fenced former primary is never reopened: it must be rebuilt as a replica first.
 */
/**
 * The size to scale back to: the one recorded at the fence, or, when the workload was already at
 * zero then (a broken region), the region's standby size, else 1. Undefined: nothing fenced it.
 */
export function restoreSize(
  replicasBefore: number | undefined,
  standbyReplicas: number | undefined,
): number | undefined {
  if (replicasBefore === undefined) return undefined;
  return replicasBefore > 0 ? replicasBefore : (standbyReplicas ?? 1);
}

export function planUnfence(
  app: RegionalApp,
  region: string,
  facts: RegionFacts & { replicasBefore?: number; standbyReplicas?: number },
): FencePlan {
  const epoch = app.status?.epoch ?? 0;
  const isPrimary = region === primaryOf(app);
  const running = promotionRunning(app);
  const steps: string[] = [];
  if (facts.database === "primary") {
    if (!isPrimary) {
      return {
        refusal: {
          message: `the database of ${region} is a former primary (not in recovery) and ${primaryOf(app)} is the primary now: reopening it would make two writable databases. Rebuild it as a replica of ${primaryOf(app)} (docs/postgresql.md), then unfence to scale its workload back`,
          force: false,
        },
        steps,
        consequence: "",
      };
    }
    steps.push(
      `reopen its database if Meridian's fence is recorded there at exactly epoch ${epoch} (the current epoch); otherwise nothing is reopened`,
    );
  }
  const size = restoreSize(facts.replicasBefore, facts.standbyReplicas);
  const why =
    size === facts.replicasBefore
      ? ""
      : ` (it was already at 0 when fenced, so ${facts.standbyReplicas === undefined ? "1" : "spec.regions[].standbyReplicas"})`;
  steps.push(
    size === undefined
      ? `leave ${facts.workload} as it is: it carries no meridian.dev/replicas-before-fence annotation, so nothing fenced it`
      : `scale ${facts.workload} in MemberCluster ${facts.cluster} back to ${size} replicas${why}`,
  );
  if (running) {
    return { refusal: { message: `${running}: wait for it to end`, force: false }, steps, consequence: "" };
  }
  return {
    steps,
    consequence: isPrimary
      ? `${region} serves again once its workload is available; DNS still names it`
      : `${region} is a standby again once its workload is available, and a failover target when healthy`,
  };
}
