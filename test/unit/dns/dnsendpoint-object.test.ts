import { describe, expect, it } from "vitest";
import { dnsEndpointManifest, publishedIn } from "../../../src/dns/dnsendpoint-object.ts";

const app = { name: "checkout", namespace: "shop", uid: "uid-1" };
const records = {
  hostname: "Checkout.Example.com.",
  recordType: "A" as const,
  ttlSeconds: 30,
  targets: ["198.51.100.10", "192.0.2.10", "192.0.2.10"],
};

describe("the DNSEndpoint object", () => {
  it("beside the app: owned by it (garbage-collected with it), one endpoint, targets canonical and sorted", () => {
    const m = dnsEndpointManifest(app, "shop", records, 7);
    expect(m).toMatchObject({
      apiVersion: "externaldns.k8s.io/v1alpha1",
      kind: "DNSEndpoint",
      metadata: {
        name: "meridian-checkout",
        namespace: "shop",
        annotations: { "meridian.dev/app": "shop/checkout", "meridian.dev/epoch": "7" },
        ownerReferences: [
          {
            apiVersion: "meridian.dev/v1alpha1",
            kind: "RegionalApp",
            name: "checkout",
            uid: "uid-1",
            controller: true,
          },
        ],
      },
      spec: {
        endpoints: [
          {
            dnsName: "checkout.example.com",
            recordType: "A",
            targets: ["192.0.2.10", "198.51.100.10"],
            recordTTL: 30,
          },
        ],
      },
    });
  });

  it("in another namespace: no owner (Kubernetes forbids one across namespaces) and the app's namespace in the name", () => {
    const m = dnsEndpointManifest(app, "dns", records, 7);
    expect(m.metadata.name).toBe("meridian-shop-checkout");
    expect(m.metadata.ownerReferences).toBeUndefined();
  });

  it("reads back targets, TTL and epoch for the hostname and type, nothing for others", () => {
    const m = dnsEndpointManifest(app, "shop", records, 7);
    expect(publishedIn(m, "checkout.example.com", "A")).toEqual({
      targets: ["192.0.2.10", "198.51.100.10"],
      ttlSeconds: 30,
      epoch: 7,
    });
    expect(publishedIn(m, "checkout.example.com", "AAAA")).toEqual({
      targets: [],
      ttlSeconds: undefined,
      epoch: 7,
    });
    expect(publishedIn(undefined, "checkout.example.com", "A")).toEqual({
      targets: [],
      ttlSeconds: undefined,
      epoch: undefined,
    });
  });
});
