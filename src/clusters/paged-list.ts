import type { KubeConfig, KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { httpGet } from "./probe.ts";

/**
 * Lists `path` (e.g. /apis/apps/v1/deployments) in pages of `limit`, as plain JSON. The typed
 * client turns one list of thousands of Deployments into class instances in one synchronous
 * block of seconds of CPU, during which nothing else runs (leader renewals included); pages of
 * plain objects cost a fraction of that and let the event loop run between them.
 */
export async function listInPages<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  limit = 250,
  timeoutMs = 60_000,
): Promise<KubernetesListObject<T>> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error("kubeconfig has no server");
  const items: T[] = [];
  let resourceVersion = "";
  let next: string | undefined;
  do {
    const query = `limit=${limit}${next ? `&continue=${encodeURIComponent(next)}` : ""}`;
    const res = await httpGet(kc, `${server}${path}?${query}`, timeoutMs);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 200)}`);
    const page = JSON.parse(res.body) as KubernetesListObject<T>;
    items.push(...page.items);
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    // Plain JSON says `continue` (the typed client renames it `_continue`).
    next = (page.metadata as { continue?: string } | undefined)?.continue || undefined;
  } while (next);
  return { apiVersion: "v1", kind: "List", metadata: { resourceVersion }, items };
}
