import { CoreV1Api } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { kubeConfigFor, type Region } from "./testbed.ts";

/**
 * `region` as a ServiceAccount sees it: a kubeconfig holding a token of `namespace/name` from the
 * TokenRequest API (what `kubectl create token` does), and nothing else, so a process started with
 * it has exactly that ServiceAccount's RBAC.
 */
export async function asServiceAccount(region: Region, namespace: string, name: string): Promise<Region> {
  const { status } = await kubeConfigFor(region)
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { spec: { expirationSeconds: 3600 } },
    });
  const admin = parse(region.kubeconfig) as { clusters: { name: string; cluster: Record<string, string> }[] };
  const cluster = admin.clusters[0];
  if (!status?.token || !cluster) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  const user = `system:serviceaccount:${namespace}:${name}`;
  const kubeconfig = stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [cluster],
    users: [{ name: user, user: { token: status.token } }],
    contexts: [{ name: user, context: { cluster: cluster.name, user, namespace } }],
    "current-context": user,
  });
  return { ...region, kubeconfig };
}
