import { randomBytes } from "node:crypto";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, inject } from "vitest";
import { kubeConfigFor, type Region, Testbed } from "./testbed.ts";

/** The shared regions started by the global setup, and a handle to stop and start them. */
export function sharedTestbed(): {
  bed: Testbed;
  regions: Region[];
  bootSeconds: number;
  region(name: string): Region;
} {
  const shared = inject("testbed");
  const byName = (name: string) => {
    const found = shared.regions.find((r) => r.name === name);
    if (!found) throw new Error(`no region ${name} in the test bed`);
    return found;
  };
  return {
    bed: new Testbed(shared.binDir, shared.workdir),
    regions: shared.regions,
    bootSeconds: shared.bootSeconds,
    region: byName,
  };
}

/**
 * A namespace of its own for the calling test file, created in every given region before the
 * tests and deleted after them. Returns a getter because the name is chosen in beforeAll.
 */
export function useNamespace(regions: Region[], prefix = "t"): () => string {
  let name = "";
  beforeAll(async () => {
    name = `${prefix}-${randomBytes(4).toString("hex")}`;
    for (const r of regions) {
      await kubeConfigFor(r)
        .makeApiClient(CoreV1Api)
        .createNamespace({ body: { metadata: { name } } });
    }
  });
  afterAll(async () => {
    for (const r of regions) {
      await kubeConfigFor(r)
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name })
        .catch(() => undefined); // the region may be the one a test left stopped; teardown removes it anyway
    }
  });
  return () => name;
}
