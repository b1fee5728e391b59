// What the agent guards in its member cluster, derived (pure) from the hub's RegionalApps and
// FailoverPolicies, and the form in which it persists it so that a restart with the hub out of reach
// still knows what to fence. docs/fencing.md, "The agent".
import type { FailoverPolicy, RegionalApp } from "../../api/types.generated.ts";
import type { AppAssignment } from "../protocol/agent-decision.ts";
import { defaultTiming, type FencingTiming, timingOf } from "../protocol/timing.ts";
import type { WorkloadRef } from "../workload.ts";

/** One app with a region on this agent's cluster: everything a fence of it needs. */
export interface GuardedApp {
  namespace: string;
  name: string;
  /** The RegionalApp's uid, for Events (absent in a state persisted by an older agent). */
  uid?: string;
  /** The app's region on this cluster (spec.regions[].name). */
  region: string;
  workload: WorkloadRef;
  /** The database Secret (key `uri`) in the workload's namespace of the member cluster; engine postgresql only. */
  databaseSecret?: string;
  /** spec.database.engine (absent in a state persisted by an older agent). */
  engine?: string;
  /** status.epoch (0 before the first promotion). */
  epoch: number;
  assignment: AppAssignment;
  timing: FencingTiming;
}

export const appKey = (a: { namespace: string; name: string }) => `${a.namespace}/${a.name}`;

/**
 * The apps this cluster guards: those with a region whose clusterRef is `cluster`. Region names in
 * status (currentPrimary, handover) are turned into cluster names through spec.regions.
 */
export function guardedApps(
  apps: readonly RegionalApp[],
  policies: readonly FailoverPolicy[],
  cluster: string,
): GuardedApp[] {
  const policyOf = new Map(policies.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
  const guarded: GuardedApp[] = [];
  for (const app of apps) {
    const namespace = app.metadata?.namespace ?? "";
    const name = app.metadata?.name ?? "";
    const region = app.spec?.regions?.find((r) => r.clusterRef === cluster);
    if (!region) continue;
    const clusterOf = (regionName: string | undefined) =>
      app.spec.regions.find((r) => r.name === regionName)?.clusterRef;
    const status = app.status ?? {};
    const policy = policyOf.get(`${namespace}/${app.spec.policyRef?.name}`);
    const handover = status.handover;
    const fromCluster = clusterOf(handover?.from);
    const toCluster = clusterOf(handover?.to);
    guarded.push({
      namespace,
      name,
      ...(app.metadata?.uid ? { uid: app.metadata.uid } : {}),
      region: region.name,
      workload: {
        kind: region.workload.kind ?? "Deployment",
        namespace: region.workload.namespace ?? namespace,
        name: region.workload.name,
      },
      ...(app.spec.database?.engine === "postgresql" && region.database?.connectionSecretRef
        ? { databaseSecret: region.database.connectionSecretRef.name }
        : {}),
      ...(app.spec.database?.engine ? { engine: app.spec.database.engine } : {}),
      epoch: status.epoch ?? 0,
      assignment: {
        primaryCluster: clusterOf(status.currentPrimary),
        ...(handover && fromCluster && toCluster
          ? { handover: { fromCluster, toCluster, epoch: handover.epoch } }
          : {}),
      },
      // A missing policy: the defaults the API would have given it.
      timing: policy?.spec?.fencing ? timingOf(policy.spec.fencing) : defaultTiming,
    });
  }
  return guarded.sort((a, b) => appKey(a).localeCompare(appKey(b)));
}

/** The epoch a fence of this app uses: the handover's while one is in progress, else status.epoch. */
export function fenceEpoch(app: GuardedApp): number {
  return app.assignment.handover?.epoch ?? app.epoch;
}

/** What survives a restart: the apps and the voters the agent last knew (ConfigMap meridian-agent-<cluster>). */
export interface PersistedState {
  version: 1;
  members: string[];
  apps: GuardedApp[];
}

export function serializeState(s: PersistedState): string {
  return JSON.stringify(s);
}

/** The persisted state, or undefined when the text is not one this agent understands. */
export function parseState(text: string | undefined): PersistedState | undefined {
  if (!text) return undefined;
  try {
    const s = JSON.parse(text) as Partial<PersistedState>;
    if (s.version !== 1 || !Array.isArray(s.members) || !Array.isArray(s.apps)) return undefined;
    const ok = s.apps.every(
      (a) =>
        typeof a?.namespace === "string" &&
        typeof a.name === "string" &&
        typeof a.workload?.name === "string" &&
        typeof a.timing?.renewDeadlineMs === "number" &&
        typeof a.assignment === "object",
    );
    return ok ? (s as PersistedState) : undefined;
  } catch {
    return undefined;
  }
}
