import type { RegionalApp, ReplicaPromotion } from "../../../src/api/types.generated.ts";

/** A two-region app as the API server returns it after a switchover from us-east to eu-west. */
export function checkout(
  overrides: { status?: Partial<NonNullable<RegionalApp["status"]>> } = {},
): RegionalApp {
  return {
    apiVersion: "meridian.dev/v1alpha1",
    kind: "RegionalApp",
    metadata: { name: "checkout", namespace: "shop", uid: "u1" },
    spec: {
      policyRef: { name: "fast" },
      topology: "ActivePassive",
      primaryRegion: "us-east",
      suspend: false,
      regions: [
        {
          name: "us-east",
          clusterRef: "shop-us-east",
          priority: 1,
          workload: { kind: "Deployment", name: "checkout" },
          endpoint: "203.0.113.10",
        },
        {
          name: "eu-west",
          clusterRef: "shop-eu-west",
          priority: 2,
          workload: { kind: "Deployment", name: "checkout" },
          endpoint: "203.0.113.20",
        },
      ],
      dns: {
        hostname: "checkout.example.test",
        recordType: "A",
        provider: {
          rfc2136: { server: "127.0.0.1:5353", zone: "example.test", tsigSecretRef: { name: "tsig" } },
        },
      },
      database: { engine: "postgresql" },
    },
    status: {
      currentPrimary: "eu-west",
      epoch: 1,
      regions: [
        { name: "us-east", healthy: false, message: "workload checkout: 0/0 replicas available" },
        { name: "eu-west", healthy: true, message: "2/2 replicas available" },
      ],
      conditions: [
        {
          type: "FailoverReady",
          status: "False",
          reason: "NoFailoverTarget",
          message: "no healthy region besides eu-west",
          lastTransitionTime: "2026-11-27T10:00:00Z",
        },
        {
          type: "Degraded",
          status: "True",
          reason: "RegionUnhealthy",
          message: "us-east is unhealthy",
          lastTransitionTime: "2026-11-27T10:00:00Z",
        },
        {
          type: "Ready",
          status: "True",
          reason: "PrimaryHealthy",
          message: "eu-west serves",
          lastTransitionTime: "2026-11-27T10:00:00Z",
        },
      ],
      lastFailover: {
        type: "Switchover",
        from: "us-east",
        to: "eu-west",
        promotionRef: "checkout-switchover-x1",
        completedAt: "2026-11-27T10:00:00Z",
        rtoSeconds: 1.4,
        dataLossEstimate: { bytes: 0 },
      },
      ...overrides.status,
    },
  } as RegionalApp;
}

export function promotion(name: string, overrides: Partial<ReplicaPromotion> = {}): ReplicaPromotion {
  return {
    apiVersion: "meridian.dev/v1alpha1",
    kind: "ReplicaPromotion",
    metadata: { name, namespace: "shop", creationTimestamp: "2026-11-27T10:00:00Z" as unknown as Date },
    spec: {
      appRef: { name: "checkout" },
      targetRegion: "eu-west",
      type: "Switchover",
      reason: "maintenance",
      allowDataLoss: false,
      dryRun: false,
      approved: true,
    },
    ...overrides,
  } as ReplicaPromotion;
}
