import { describe, expect, it } from "vitest";
import type { RegionalApp, ReplicaPromotion } from "../../../src/api/types.generated.ts";
import { PromotionWakeups } from "../../../src/controllers/replicapromotion/wakeups.ts";
import type { Informer } from "../../../src/runtime/informer.ts";

/** An informer's read side over fixed objects (the wake-ups only read the caches). */
function cache<T extends { metadata?: { name?: string; namespace?: string } }>(items: T[]): Informer<T> {
  return {
    list: (namespace?: string) =>
      items.filter((i) => namespace === undefined || i.metadata?.namespace === namespace),
    get: (name: string, namespace?: string) =>
      items.find((i) => i.metadata?.name === name && i.metadata?.namespace === namespace),
  } as unknown as Informer<T>;
}

const app = (name: string, namespace: string) =>
  ({
    metadata: { name, namespace },
    spec: {
      regions: [
        { name: "us-east", clusterRef: "c-us", workload: { kind: "Deployment", name } },
        { name: "eu-west", clusterRef: "c-eu", workload: { kind: "Deployment", namespace: "other", name } },
      ],
    },
  }) as unknown as RegionalApp;

const promotion = (name: string, namespace: string, appName: string, phase?: string) =>
  ({
    metadata: { name, namespace, creationTimestamp: "2026-11-27T00:00:00Z" },
    spec: { appRef: { name: appName } },
    ...(phase ? { status: { phase } } : {}),
  }) as unknown as ReplicaPromotion;

function wakeups() {
  const woken: string[] = [];
  const w = new PromotionWakeups(
    cache([
      promotion("web-1", "shop", "web", "Succeeded"),
      promotion("web-2", "shop", "web", "Fencing"),
      promotion("api-1", "shop", "api", "Rerouting"),
      promotion("web-1", "other", "web"),
    ]),
    cache([app("web", "shop"), app("api", "shop"), app("web", "other")]),
    (key) => woken.push(key),
  );
  return { w, woken };
}

describe("what wakes a running promotion", () => {
  it("an app's change wakes its running promotions only", () => {
    const { w, woken } = wakeups();
    w.appChanged(app("web", "shop"));
    expect(woken).toEqual(["shop/web-2"]);
  });

  it("a workload's change wakes the running promotions of apps that run it in that cluster", () => {
    const { w, woken } = wakeups();
    w.workloadChanged("c-us", "shop/api");
    expect(woken).toEqual(["shop/api-1"]);
    woken.length = 0;
    // eu-west's workload lives in namespace "other", so the app's own namespace does not match there.
    w.workloadChanged("c-eu", "shop/web");
    expect(woken).toEqual([]);
    w.workloadChanged("c-eu", "other/web");
    expect(woken.sort()).toEqual(["other/web-1", "shop/web-2"]);
  });

  it("a change of the region Leases wakes promotions that wait on them (Pending, Fencing)", () => {
    const { w, woken } = wakeups();
    w.leasesChanged();
    expect(woken.sort()).toEqual(["other/web-1", "shop/web-2"]);
  });
});
