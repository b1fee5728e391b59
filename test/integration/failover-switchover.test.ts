import { EventsV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { endpoints, finished, hostname, promotionsOf } from "../harness/failover-setup.ts";
import { custom, getApp } from "../harness/meridian.ts";
import { createWritesTable, lostWrites, SequenceWriter } from "../harness/pg-writer.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const { hub, ns, get } = useFailoverApp("switchover");

beforeAll(async () => {
  await createWritesTable(get().bed.pg.primary.appUri);
});

describe("planned switchover from Git", () => {
  it("changing spec.primaryRegion switches over with zero acknowledged writes lost", async () => {
    // A switchover is a *change* of spec.primaryRegion from the value last acted upon: wait until
    // the operator has recorded us-east as that value (an edit before the app's first observation
    // is recorded as its starting point, not acted upon).
    // Generous: on a loaded machine the operator's first observation of a region (cluster probe,
    // workload cache) alone has taken over 30 s.
    await pollUntil("FailoverReady, us-east recorded", 120_000, async () => {
      const app = await getApp(hub, ns(), "checkout");
      return (
        app.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True" &&
        app.status?.lastAppliedPrimaryRegion === "us-east"
      );
    });
    // An application writing the whole time, following DNS as its clients would.
    const writer = new SequenceWriter({ region: "us-east", appUri: get().bed.pg.primary.appUri });
    await pollUntil("writes flowing", 10_000, () => writer.acknowledged.length > 20);

    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "regionalapps",
        namespace: ns(),
        name: "checkout",
        body: { spec: { primaryRegion: "eu-west" } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await pollUntil(
      "DNS names eu-west",
      120_000, // the switchover itself takes seconds; a loaded machine stretches every step
      async () => (await get().bed.bind.dig(hostname, "A"))[0] === endpoints["eu-west"],
      50,
    );
    writer.writeTo({ region: "eu-west", appUri: get().bed.pg.replica.appUri });
    await pollUntil("writes land in eu-west", 10_000, () => writer.ackedIn("eu-west").length > 20);
    await writer.stop();

    const [promotion] = await promotionsOf(hub, ns(), "checkout");
    await pollUntil("promotion finished", 30_000, async () =>
      finished((await promotionsOf(hub, ns(), "checkout"))[0]),
    );
    const done = (await promotionsOf(hub, ns(), "checkout"))[0];
    expect(promotion?.spec.type).toBe("Switchover");
    expect(done?.status?.phase).toBe("Succeeded");
    expect(done?.status?.lagBytesAtPromotion).toBe(0);
    // Invariant 4: every write us-east acknowledged is in eu-west's database.
    expect(writer.ackedIn("us-east").length).toBeGreaterThan(20);
    expect(await lostWrites(writer.acknowledged, get().bed.pg.replica.appUri)).toEqual([]);
    // Invariant 1, checked every ~20 ms throughout.
    expect(get().checker.splitBrainRounds()).toEqual([]);
    const app = await pollUntil("the app records the switchover", 10_000, async () => {
      const a = await getApp(hub, ns(), "checkout");
      return a.status?.currentPrimary === "eu-west" ? a : undefined;
    });
    expect(app.status?.lastFailover).toMatchObject({
      type: "Switchover",
      from: "us-east",
      to: "eu-west",
      epoch: 1,
    });
    expect(app.status?.lastAppliedPrimaryRegion).toBe("eu-west");
    // A switchover asked for in Git is routine: its Events are Normal, on the app and the promotion.
    const events = (
      await kubeConfigFor(hub).makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns() })
    ).items;
    const started = events.filter((e) => e.reason === "PrimaryRegionChanged" && e.action === "Promote");
    expect(started.map((e) => e.type)).toEqual(["Normal"]);
    const ofPromotion = events.filter((e) => e.regarding?.name === promotion?.metadata?.name);
    expect(ofPromotion.map((e) => e.reason)).toContain("PromotionSucceeded");
    expect(ofPromotion.filter((e) => e.type !== "Normal")).toEqual([]);
  });
});
