import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  ApiextensionsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { parse } from "yaml";
import { pollUntil } from "./poll.ts";
import { kubeConfigFor, type Region } from "./testbed.ts";

const crdPath = resolve(import.meta.dirname, "../fixtures/externaldns/dnsendpoints.externaldns.k8s.io.yaml");

/** The DNSEndpoint resource ExternalDNS reads, as custom-object coordinates. */
export const dnsEndpoints = { group: "externaldns.k8s.io", version: "v1alpha1", plural: "dnsendpoints" };

/** Installs ExternalDNS's DNSEndpoint CRD (a faithful copy under test/fixtures) and waits until it is served. */
export async function installDnsEndpointCrd(hub: Region): Promise<void> {
  const crd = parse(await readFile(crdPath, "utf8")) as V1CustomResourceDefinition;
  const api = kubeConfigFor(hub).makeApiClient(ApiextensionsV1Api);
  const name = crd.metadata?.name as string;
  await api.patchCustomResourceDefinition(
    { name, body: crd, fieldManager: "meridian-tests", force: true },
    setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
  );
  await pollUntil("DNSEndpoint CRD established", 30_000, async () => {
    const live = await api.readCustomResourceDefinition({ name });
    return live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
}
