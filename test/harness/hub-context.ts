import { inject } from "vitest";
import type { Region } from "./testbed.ts";

/**
 * The hub's own cluster, started by the global setup next to the member regions (which
 * sharedTestbed().regions lists without it). Stop and start it with sharedTestbed().bed like a region.
 */
export function sharedHub(): Region {
  return inject("testbed").hub;
}
