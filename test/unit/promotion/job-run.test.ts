import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { jobManifest, jobName } from "../../../src/promotion/job/job-run.ts";

describe("job engine Jobs", () => {
  it("are named after app, step and epoch, within a label value's 63 characters", () => {
    expect(jobName({ namespace: "shop", name: "checkout" }, "fence", 7)).toBe("meridian-checkout-fence-e7");
    const long = "a".repeat(60);
    const a = jobName({ namespace: "shop", name: long }, "promote", 123456);
    const b = jobName({ namespace: "other", name: long }, "promote", 123456);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).toMatch(/^meridian-a+-[0-9a-f]{8}-promote-e123456$/);
    expect(a).not.toBe(b); // same long name in two namespaces: two Jobs
  });

  it("carry the epoch and regions in their environment, which a template cannot override", () => {
    const job = jobManifest({
      kc: new KubeConfig(),
      namespace: "db",
      app: { namespace: "shop", name: "checkout" },
      step: "promote",
      epoch: 4,
      region: "eu-west",
      from: "us-east",
      to: "eu-west",
      template: {
        image: "tools:1",
        args: ["--fast"],
        env: [
          { name: "MERIDIAN_EPOCH", value: "99" },
          { name: "PGHOST", value: "db" },
        ],
      },
      env: { MERIDIAN_MAX_LAG_BYTES: "1024" },
    });
    const container = job.spec?.template.spec?.containers[0];
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      MERIDIAN_EPOCH: "4",
      MERIDIAN_STEP: "promote",
      MERIDIAN_REGION: "eu-west",
      MERIDIAN_FROM_REGION: "us-east",
      MERIDIAN_TO_REGION: "eu-west",
      MERIDIAN_MAX_LAG_BYTES: "1024",
      PGHOST: "db",
    });
    expect(container?.env?.filter((e) => e.name === "MERIDIAN_EPOCH")).toHaveLength(1);
    expect(job.spec?.backoffLimit).toBe(0);
    expect(job.spec?.template.spec?.restartPolicy).toBe("Never");
    expect(job.metadata).toMatchObject({ name: "meridian-checkout-promote-e4", namespace: "db" });
  });
});
