// The primary region cut off from everything (operator, hub API server, peer agent) while its own
// clients still reach its database: its agent must fence it after the renew deadline, and the hub
// may promote only once the region Lease has lapsed by its own reads and a majority votes (hub +
// eu-west = 2 of 3). The hub is a cluster of its own. Invariant 1 is checked every ~20 ms.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expiryMs, timingOf } from "../../src/fencing/protocol/timing.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { endpoints, hostname, promotionFinished } from "../harness/failover-setup.ts";
import { sharedHub } from "../harness/hub-context.ts";
import { type PartitionedApp, setUpPartitionedApp, waitFailoverReady } from "../harness/partition-setup.ts";
import { query } from "../harness/postgres.ts";

const { region } = sharedTestbed();
const hub = sharedHub();
const east = region("us-east");
const west = region("eu-west");
const ns = useNamespace([hub, east, west], "cutoff");
const fencing = { leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 };
let app: PartitionedApp;

beforeAll(async () => {
  const policy = {
    healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
    fencing,
    promotion: { maxLagBytes: 16 * 1024 * 1024, timeoutSeconds: 120 },
    dns: { ttlSeconds: 30 },
  };
  app = await setUpPartitionedApp({ hub, members: [east, west], namespace: ns(), policy });
  await waitFailoverReady(app);
});

afterAll(async () => {
  await app?.teardown();
});

describe("the primary region cut off from everything", () => {
  it("its agent fences it; the hub promotes eu-west only after the region Lease lapsed with a majority voting", async () => {
    const cutAt = Date.now();
    app.isolate("us-east");
    const done = await promotionFinished(hub, ns(), "checkout", 120_000);
    expect(done.status?.phase, JSON.stringify(done.status?.steps)).toBe("Succeeded");
    const steps = Object.fromEntries((done.status?.steps ?? []).map((s) => [s.name, s]));
    // Invariant 2: the hub could neither fence us-east nor hear from its agent: it left it by the quorum rule.
    expect(steps.Promoting?.message).toContain("a majority votes");
    const promotedAfter = Date.parse(steps.Promoting?.startedAt ?? "") - cutAt;
    expect(promotedAfter).toBeGreaterThanOrEqual(
      expiryMs(timingOf(fencing)) - fencing.retryPeriodSeconds * 1000,
    );
    console.log(
      `[cut-off] promoted ${(promotedAfter / 1000).toFixed(1)} s after the cut; done ${((Date.now() - cutAt) / 1000).toFixed(1)} s`,
    );
    // The cut-off region's agent closed its database on its own.
    const allowed = await query<{ datallowconn: boolean }>(
      app.pg.primary.meridianUri.replace(/\/appdb$/, "/postgres"),
      "select datallowconn from pg_database where datname = 'appdb'",
    );
    expect(allowed[0]?.datallowconn).toBe(false);
    expect(app.checker.splitBrainRounds()).toEqual([]);
    expect(app.checker.writableRounds("us-east")).toBeGreaterThan(0);
    expect(app.checker.writableRounds("eu-west")).toBeGreaterThan(0);
    expect(await app.bind.dig(hostname, "A")).toEqual([endpoints["eu-west"]]);
  });
});
