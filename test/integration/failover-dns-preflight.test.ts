import { CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { RegionalApp } from "../../src/api/types.generated.ts";
import { useFailoverApp } from "../harness/failover-context.ts";
import { custom, getApp } from "../harness/meridian.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const { hub, ns, get } = useFailoverApp("dnspre");
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const condition = (a: RegionalApp, type: string) => a.status?.conditions?.find((c) => c.type === type);

async function waitFor(what: string, check: (a: RegionalApp) => boolean) {
  return pollUntil(what, 60_000, async () => {
    const a = await getApp(hub, ns(), "checkout");
    return check(a) ? a : undefined;
  });
}

describe("DNS pre-flight in FailoverReady", () => {
  it("a TSIG key the server refuses makes FailoverReady False with the DNS reason; fixing it clears it", async () => {
    const ready = await waitFor("ready", (a) => condition(a, "FailoverReady")?.status === "True");
    expect(condition(ready, "DnsReady")).toMatchObject({ status: "True", reason: "DnsPreflightPassed" });

    const core = kubeConfigFor(hub).makeApiClient(CoreV1Api);
    const wrong = Buffer.from("not-the-key-the-server-has-0123456789").toString("base64");
    await core.patchNamespacedSecret(
      { name: "tsig", namespace: ns(), body: { stringData: { secret: wrong } } },
      mergePatch,
    );
    const broken = await waitFor("DNS refused", (a) => condition(a, "DnsReady")?.status === "False");
    expect(condition(broken, "DnsReady")?.reason).toBe("DnsCredentialsInvalid");
    expect(condition(broken, "FailoverReady")).toMatchObject({
      status: "False",
      reason: "DnsCredentialsInvalid",
    });
    expect(condition(broken, "FailoverReady")?.message).toMatch(/^DNS: /);

    await core.patchNamespacedSecret(
      { name: "tsig", namespace: ns(), body: { stringData: { secret: get().bed.bind.key.secret } } },
      mergePatch,
    );
    await waitFor(
      "DNS accepted again",
      (a) => condition(a, "FailoverReady")?.status === "True" && condition(a, "DnsReady")?.status === "True",
    );
  });

  it("a TTL above 60 s is a warning on DnsReady, not a reason to refuse a failover", async () => {
    await custom(hub).patchNamespacedCustomObject(
      {
        group,
        version,
        plural: "failoverpolicies",
        namespace: ns(),
        name: "fast",
        body: { spec: { dns: { ttlSeconds: 300 } } },
      },
      mergePatch,
    );
    const slow = await waitFor("TTL warning", (a) => condition(a, "DnsReady")?.reason === "DnsTtlTooHigh");
    expect(condition(slow, "DnsReady")?.status).toBe("False");
    expect(condition(slow, "DnsReady")?.message).toContain("300");
    expect(condition(slow, "FailoverReady")?.status).toBe("True");
  });
});
