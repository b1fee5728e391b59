// kubectl's conventions for the user commands: --kubeconfig, --context, -n/--namespace, -A, and
// errors that name the object and say what to do. One hub connection per invocation.
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { group, version } from "../api/group.ts";
import type { RegionalApp, ReplicaPromotion } from "../api/types.generated.ts";
import { describeApiError, statusCode } from "../runtime/api-errors.ts";

/** A failure the CLI reports as one message (no stack), with the exit code it ends with. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The options every user command takes, as kubectl spells them. */
export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

export interface Hub {
  kc: KubeConfig;
  /** -n, else the context's namespace, else "default" (as kubectl). */
  namespace: string;
  custom: CustomObjectsApi;
}

/** Loads the kubeconfig as kubectl does: --kubeconfig, else $KUBECONFIG, ~/.kube/config, in-cluster. */
export function connect(opts: KubeOptions): Hub {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new CliError(
      `cannot read kubeconfig ${opts.kubeconfig ?? "($KUBECONFIG or ~/.kube/config)"}: ${(err as Error).message}`,
    );
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new CliError(
        `context "${opts.context}" is not in the kubeconfig; use one of: ${known.join(", ") || "(none)"}`,
      );
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new CliError(
      "no cluster to talk to: pass --kubeconfig FILE, set $KUBECONFIG, or select a context with --context",
    );
  }
  const namespace = opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  return { kc, namespace, custom: kc.makeApiClient(CustomObjectsApi) };
}

/** The resource names the API server knows Meridian's kinds by. */
export const plural = { app: "regionalapps", promotion: "replicapromotions" } as const;

/** An API error as a CliError that names the object and what to do about it. */
export function apiError(err: unknown, what: string, hub: Hub): CliError {
  const code = statusCode(err);
  const server = hub.kc.getCurrentCluster()?.server;
  if (code === 404) return new CliError(`${what} not found`);
  if (code === 403) {
    return new CliError(
      `not allowed to access ${what} (${describeApiError(err)}): ask for a Role granting it, or use --context for another identity`,
    );
  }
  if (code === undefined) {
    return new CliError(
      `cannot reach the hub API server ${server} for ${what}: ${describeApiError(err)}; check --kubeconfig/--context`,
    );
  }
  return new CliError(`${what}: ${describeApiError(err)}`);
}

/** Whether the hub serves Meridian's kinds; a 404 on a list means the CRDs are missing. */
function crdHint(err: unknown, hub: Hub): CliError {
  if (statusCode(err) === 404) {
    return new CliError(
      `the cluster ${hub.kc.getCurrentCluster()?.server} does not serve ${group}/${version}: is this the Meridian hub? (install the CRDs with kubectl apply -f crds/, or pick the hub with --context)`,
    );
  }
  return apiError(err, `${group} objects`, hub);
}

export async function getApp(hub: Hub, name: string, namespace = hub.namespace): Promise<RegionalApp> {
  try {
    return (await hub.custom.getNamespacedCustomObject({
      group,
      version,
      plural: plural.app,
      namespace,
      name,
    })) as RegionalApp;
  } catch (err) {
    if (statusCode(err) === 404) {
      throw new CliError(
        `RegionalApp ${namespace}/${name} not found: check the name and namespace (-n), or list the apps with \`meridian status -A\``,
      );
    }
    throw apiError(err, `RegionalApp ${namespace}/${name}`, hub);
  }
}

async function list<T>(hub: Hub, resource: string, allNamespaces: boolean): Promise<T[]> {
  try {
    const res = (await (allNamespaces
      ? hub.custom.listClusterCustomObject({ group, version, plural: resource })
      : hub.custom.listNamespacedCustomObject({
          group,
          version,
          plural: resource,
          namespace: hub.namespace,
        }))) as { items: T[] };
    return res.items;
  } catch (err) {
    throw crdHint(err, hub);
  }
}

export const listApps = (hub: Hub, allNamespaces: boolean) =>
  list<RegionalApp>(hub, plural.app, allNamespaces);
export const listPromotions = (hub: Hub, allNamespaces: boolean) =>
  list<ReplicaPromotion>(hub, plural.promotion, allNamespaces);

export async function getPromotion(
  hub: Hub,
  name: string,
  namespace = hub.namespace,
): Promise<ReplicaPromotion> {
  try {
    return (await hub.custom.getNamespacedCustomObject({
      group,
      version,
      plural: plural.promotion,
      namespace,
      name,
    })) as ReplicaPromotion;
  } catch (err) {
    if (statusCode(err) === 404) {
      throw new CliError(
        `ReplicaPromotion ${namespace}/${name} not found: check the name and namespace (-n), or list them with \`meridian promotions -n ${namespace}\``,
      );
    }
    throw apiError(err, `ReplicaPromotion ${namespace}/${name}`, hub);
  }
}
