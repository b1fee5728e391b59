import type { TestProject } from "vitest/node";
import { binariesDir } from "./binaries.ts";
import { type Region, Testbed } from "./testbed.ts";

/** The regions every integration test file shares. */
export const testRegions = ["us-east", "eu-west", "ap-south"] as const;
/** A control plane of its own for the hub, so partition tests can cut it off from every member. */
export const hubClusterName = "hub";

export interface SharedTestbed {
  binDir: string;
  workdir: string;
  /** The member regions (testRegions); the hub is not among them. */
  regions: Region[];
  /** The hub's own cluster (kwok cluster "meridian-hub"), no member region. */
  hub: Region;
  /** Wall-clock seconds it took to bring all regions and the hub up. */
  bootSeconds: number;
  /** Of bootSeconds, the hub cluster's share. */
  hubBootSeconds: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    testbed: SharedTestbed;
  }
}

/**
 * Starts the shared regions once for the whole integration run and removes them afterwards,
 * also when the run is interrupted. Clusters left behind by an earlier killed run are removed first.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bed = new Testbed(await binariesDir());
  await bed.down();
  const teardown = once(() => bed.down());
  const onSignal = (signal: NodeJS.Signals) => {
    void teardown().finally(() => process.kill(process.pid, signal));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const started = performance.now();
  try {
    const regions = [];
    // One at a time: on two cores, parallel API-server start-ups only contend with each other.
    for (const name of testRegions) regions.push(await bed.create(name));
    const hubStarted = performance.now();
    const hub = await bed.create(hubClusterName);
    const hubBootSeconds = (performance.now() - hubStarted) / 1000;
    const bootSeconds = (performance.now() - started) / 1000;
    console.log(
      `[testbed] ${regions.length} regions and the hub up in ${bootSeconds.toFixed(1)} s ` +
        `(hub ${hubBootSeconds.toFixed(1)} s; ${bed.workdir})`,
    );
    project.provide("testbed", {
      binDir: bed.binDir,
      workdir: bed.workdir,
      regions,
      hub,
      bootSeconds,
      hubBootSeconds,
    });
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}
