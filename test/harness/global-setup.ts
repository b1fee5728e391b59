import type { TestProject } from "vitest/node";
import { binariesDir } from "./binaries.ts";
import { type Region, Testbed } from "./testbed.ts";

/** The regions every integration test file shares. */
export const testRegions = ["us-east", "eu-west", "ap-south"] as const;

export interface SharedTestbed {
  binDir: string;
  workdir: string;
  regions: Region[];
  /** Wall-clock seconds it took to bring all regions up. */
  bootSeconds: number;
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
    const bootSeconds = (performance.now() - started) / 1000;
    console.log(`[testbed] ${regions.length} regions up in ${bootSeconds.toFixed(1)} s (${bed.workdir})`);
    project.provide("testbed", { binDir: bed.binDir, workdir: bed.workdir, regions, bootSeconds });
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
