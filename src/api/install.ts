// Installing and checking Meridian's CRDs in a cluster: for development tools and tests that need
// the API in place, and for a startup check that the API is served before controllers watch it.
import {
  ApiextensionsV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { customResourceDefinitions } from "./crds.ts";

/** Server-side applies every Meridian CRD, taking over fields another manager set. */
export async function applyCrds(kc: KubeConfig, fieldManager = "meridian"): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const apply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
  for (const crd of customResourceDefinitions()) {
    await api.patchCustomResourceDefinition(
      { name: crd.metadata.name, body: crd, fieldManager, force: true },
      apply,
    );
  }
}

/**
 * Names of the Meridian CRDs the API server does not serve yet: missing, or not yet Established
 * (a CRD is accepted at once but served a moment later). Empty when the API is ready.
 */
export async function crdsNotEstablished(kc: KubeConfig): Promise<string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const served = new Set(
    (await api.listCustomResourceDefinition()).items
      .filter((crd) => crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"))
      .map((crd) => crd.metadata?.name),
  );
  return customResourceDefinitions()
    .map((crd) => crd.metadata.name)
    .filter((name) => !served.has(name));
}
