import { describe, expect, it } from "vitest";
import {
  type CnpgCluster,
  fencedEpochAnnotation,
  isReplica,
  judgeDemotion,
  judgePromotion,
  phaseHealthy,
  phaseUnrecoverable,
  promotedEpochAnnotation,
  tokenBeforeFenceAnnotation,
} from "../../../src/promotion/cloudnative-pg/cluster.ts";

const cluster = (c: {
  name?: string;
  replica?: NonNullable<CnpgCluster["spec"]>["replica"];
  annotations?: Record<string, string>;
  status?: CnpgCluster["status"];
}): CnpgCluster => ({
  metadata: { name: c.name ?? "pg-us-east", annotations: c.annotations ?? {} },
  spec: { ...(c.replica ? { replica: c.replica } : {}) },
  status: c.status ?? {},
});

describe("CloudNativePG roles, as CloudNativePG derives them", () => {
  it("a Cluster is a replica when spec.replica.primary names another cluster, or enabled says so", () => {
    expect(isReplica(cluster({}))).toBe(false);
    expect(isReplica(cluster({ replica: { primary: "pg-us-east", source: "pg-eu-west" } }))).toBe(false);
    expect(isReplica(cluster({ replica: { primary: "pg-eu-west", source: "pg-eu-west" } }))).toBe(true);
    // self renames the cluster within the topology
    expect(isReplica(cluster({ replica: { self: "east", primary: "east", source: "west" } }))).toBe(false);
    expect(isReplica(cluster({ replica: { primary: "pg-us-east", source: "x", enabled: true } }))).toBe(true);
  });
});

describe("judgeDemotion", () => {
  const demoted = (token: string, before: string, epoch = "3") =>
    cluster({
      replica: { primary: "pg-eu-west", source: "pg-eu-west" },
      annotations: { [fencedEpochAnnotation]: epoch, [tokenBeforeFenceAnnotation]: before },
      status: { demotionToken: token, phase: phaseHealthy },
    });

  it("counts only a demotion token written after this demotion began", () => {
    // The token of an earlier demotion, still in status: not yet fenced (the primary may still be writing).
    expect(judgeDemotion(demoted("T1", "T1"), 3, "c").fenced).toBe(false);
    expect(judgeDemotion(demoted("T3", "T1"), 3, "c")).toMatchObject({ fenced: true });
    expect(judgeDemotion(demoted("", ""), 3, "c").fenced).toBe(false);
  });

  it("needs Meridian's demotion at this epoch or later, and a Cluster that is a replica by its spec", () => {
    expect(judgeDemotion(demoted("T3", "T1", "2"), 3, "c").detail).toContain("has not demoted it at epoch 3");
    const primaryAgain = cluster({
      replica: { primary: "pg-us-east", source: "pg-eu-west" },
      annotations: { [fencedEpochAnnotation]: "3", [tokenBeforeFenceAnnotation]: "" },
      status: { demotionToken: "T3" },
    });
    expect(judgeDemotion(primaryAgain, 3, "c").fenced).toBe(false);
    const switching = demoted("T3", "T1");
    switching.status = { ...switching.status, switchReplicaClusterStatus: { inProgress: true } };
    expect(judgeDemotion(switching, 3, "c").fenced).toBe(false);
  });
});

describe("judgePromotion", () => {
  const promoted = (status: CnpgCluster["status"], epoch = "4") =>
    cluster({
      name: "pg-eu-west",
      replica: { primary: "pg-eu-west", source: "pg-us-east", promotionToken: "T3" },
      annotations: { [promotedEpochAnnotation]: epoch },
      status,
    });
  const ready = [{ type: "Ready", status: "True" }];

  it("is done once CloudNativePG recorded the very token it was given, and the Cluster is Ready", () => {
    expect(judgePromotion(promoted({ lastPromotionToken: "T3", conditions: ready }), 4, "c").promoted).toBe(
      true,
    );
    expect(judgePromotion(promoted({ lastPromotionToken: "T1", conditions: ready }), 4, "c").promoted).toBe(
      false,
    );
    expect(judgePromotion(promoted({ lastPromotionToken: "T3", conditions: [] }), 4, "c").promoted).toBe(
      false,
    );
    expect(
      judgePromotion(promoted({ lastPromotionToken: "T3", conditions: ready }, "3"), 4, "c").promoted,
    ).toBe(false);
  });

  it("reports an unrecoverable Cluster as failed for good, with CloudNativePG's reason", () => {
    const state = judgePromotion(
      promoted({ phase: phaseUnrecoverable, phaseReason: "Promotion token content is not correct" }),
      4,
      "region eu-west",
    );
    expect(state.promoted).toBe(false);
    expect(state.failed).toContain("Promotion token content is not correct");
  });
});
