import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { group, version } from "../../src/api/group.ts";
import type { RegionalApp } from "../../src/api/types.generated.ts";
import { DnsEndpointProvider } from "../../src/dns/dnsendpoint.ts";
import type { DnsEndpointObject } from "../../src/dns/dnsendpoint-object.ts";
import { dnsProviderFor } from "../../src/dns/factory.ts";
import { DnsError, type RecordChange } from "../../src/dns/provider.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { dnsEndpoints, installDnsEndpointCrd } from "../harness/externaldns.ts";
import { createObject, getApp, installCrds, regionalApp } from "../harness/meridian.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const { region } = sharedTestbed();
const hub = region("us-east");
const ns = useNamespace([hub], "dnsep");
const elsewhere = useNamespace([hub], "dnsep-other");
const endpoints = dnsEndpoints;
const custom = () => kubeConfigFor(hub).makeApiClient(CustomObjectsApi);

let app: RegionalApp;

async function createApp(name: string): Promise<RegionalApp> {
  const regions = [
    { name: "us-east", clusterRef: `${name}-us`, workload: name },
    { name: "eu-west", clusterRef: `${name}-eu`, workload: name },
  ];
  await createObject(hub, "regionalapps", regionalApp(name, ns(), "critical", regions), ns());
  return getApp(hub, ns(), name);
}

const readEndpoint = (name: string, namespace = ns()) =>
  custom().getNamespacedCustomObject({ ...endpoints, namespace, name }) as Promise<DnsEndpointObject>;

const swap = (targets: string[], expectedCurrent: string[], epoch: number): RecordChange => ({
  desired: { hostname: "checkout.example.test", recordType: "A", ttlSeconds: 30, targets },
  expectedCurrent,
  epoch,
});

async function dnsError(promise: Promise<unknown>): Promise<DnsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DnsError);
  return err as DnsError;
}

beforeAll(async () => {
  await installCrds(hub);
  await installDnsEndpointCrd(hub);
  app = await createApp("checkout");
});

describe("dnsEndpoint provider against a real API server", () => {
  it("pre-flight passes with a server-side dry-run apply, which creates nothing", async () => {
    const result = await dnsProviderFor(app, kubeConfigFor(hub)).preflight();
    expect(result).toMatchObject({ ok: true, reason: "DnsProviderReady" });
    expect(result.message).toContain(`DNSEndpoint ${ns()}/meridian-checkout is writable`);
    await expect(readEndpoint("meridian-checkout")).rejects.toMatchObject({ code: 404 });
  });

  it("creates the DNSEndpoint, owned by the RegionalApp, by server-side apply as field manager meridian", async () => {
    await dnsProviderFor(app, kubeConfigFor(hub)).apply(swap(["203.0.113.10"], [], 1));
    const obj = await readEndpoint("meridian-checkout");
    expect(obj.spec?.endpoints).toEqual([
      { dnsName: "checkout.example.test", recordType: "A", targets: ["203.0.113.10"], recordTTL: 30 },
    ]);
    expect(obj.metadata.ownerReferences).toEqual([
      {
        apiVersion: `${group}/${version}`,
        kind: "RegionalApp",
        name: "checkout",
        uid: app.metadata?.uid,
        controller: true,
      },
    ]);
    expect(obj.metadata.annotations).toMatchObject({
      "meridian.dev/app": `${ns()}/checkout`,
      "meridian.dev/epoch": "1",
    });
    const managers = (obj.metadata as { managedFields?: { manager: string; operation: string }[] })
      .managedFields;
    expect(managers?.map((m) => [m.manager, m.operation])).toEqual([["meridian", "Apply"]]);
  });

  it("a failover swaps the targets and the epoch; the same apply again leaves the object as it is", async () => {
    const provider = dnsProviderFor(app, kubeConfigFor(hub));
    await provider.apply(swap(["198.51.100.10"], ["203.0.113.10"], 2));
    const after = await readEndpoint("meridian-checkout");
    expect(after.spec?.endpoints?.[0]?.targets).toEqual(["198.51.100.10"]);
    expect(after.metadata.annotations?.["meridian.dev/epoch"]).toBe("2");
    expect(await provider.current("checkout.example.test", "A")).toEqual(["198.51.100.10"]);

    await provider.apply(swap(["198.51.100.10"], ["203.0.113.10"], 2));
    expect((await readEndpoint("meridian-checkout")).metadata.resourceVersion).toBe(
      after.metadata.resourceVersion,
    );
  });

  it("an edit by someone else is detected and kept, not overwritten", async () => {
    await custom().patchNamespacedCustomObject(
      {
        ...endpoints,
        namespace: ns(),
        name: "meridian-checkout",
        fieldManager: "kubectl-edit",
        body: {
          spec: {
            endpoints: [
              { dnsName: "checkout.example.test", recordType: "A", targets: ["192.0.2.99"], recordTTL: 30 },
            ],
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const err = await dnsError(
      dnsProviderFor(app, kubeConfigFor(hub)).apply(swap(["203.0.113.10"], ["198.51.100.10"], 3)),
    );
    expect(err.reason).toBe("DnsRecordChanged");
    expect(err.message).toContain(
      `expected [198.51.100.10] but DNSEndpoint ${ns()}/meridian-checkout holds [192.0.2.99]`,
    );
    expect((await readEndpoint("meridian-checkout")).spec?.endpoints?.[0]?.targets).toEqual(["192.0.2.99"]);
  });

  it("refuses a change from an older epoch than the one recorded on the object", async () => {
    const err = await dnsError(
      dnsProviderFor(app, kubeConfigFor(hub)).apply(swap(["203.0.113.10"], ["192.0.2.99"], 1)),
    );
    expect(err.reason).toBe("EpochTooOld");
    expect(err.message).toContain("epoch 2");
  });

  it("leaves alone a DNSEndpoint of its name that is not Meridian's", async () => {
    await custom().createNamespacedCustomObject({
      ...endpoints,
      namespace: ns(),
      body: {
        apiVersion: "externaldns.k8s.io/v1alpha1",
        kind: "DNSEndpoint",
        metadata: { name: "meridian-handmade" },
        spec: { endpoints: [{ dnsName: "handmade.example.test", recordType: "A", targets: ["192.0.2.7"] }] },
      },
    });
    const handmade = await createApp("handmade");
    const provider = dnsProviderFor(handmade, kubeConfigFor(hub));
    const check = await provider.preflight();
    expect(check).toMatchObject({ ok: false, reason: "DnsEndpointOwnedByOther" });
    expect(check.message).toContain("someone other than Meridian");
    await dnsError(provider.apply(swap(["203.0.113.1"], [], 1)));
    expect((await readEndpoint("meridian-handmade")).spec?.endpoints?.[0]?.targets).toEqual(["192.0.2.7"]);
  });

  it("in another namespace: no owner (Kubernetes allows none across namespaces), the app's namespace in the name", async () => {
    const provider = new DnsEndpointProvider({
      kc: kubeConfigFor(hub),
      app: { name: "checkout", namespace: ns(), uid: app.metadata?.uid as string },
      namespace: elsewhere(),
    });
    await provider.apply(swap(["203.0.113.10"], [], 1));
    const obj = await readEndpoint(`meridian-${ns()}-checkout`, elsewhere());
    expect(obj.metadata.ownerReferences).toBeUndefined();
    expect(obj.spec?.endpoints?.[0]?.targets).toEqual(["203.0.113.10"]);
  });

  it("a hub without ExternalDNS's CRD fails pre-flight saying what to install", async () => {
    const bare = region("eu-west"); // the CRD is installed in the hub only
    const check = await dnsProviderFor(app, kubeConfigFor(bare)).preflight();
    expect(check).toMatchObject({ ok: false, reason: "DnsEndpointCrdMissing" });
    expect(check.message).toContain("install ExternalDNS's CRD dnsendpoints.externaldns.k8s.io");
  });

  it("an operator without RBAC for DNSEndpoints fails pre-flight naming the verbs to grant", async () => {
    const check = await dnsProviderFor(app, await serviceAccountConfig("no-dns-rights")).preflight();
    expect(check).toMatchObject({ ok: false, reason: "DnsEndpointForbidden" });
    expect(check.message).toContain(
      "grant its ServiceAccount get, create and patch on dnsendpoints.externaldns.k8s.io",
    );
  });

  it("deleting the RegionalApp garbage-collects its DNSEndpoint", async () => {
    await custom().deleteNamespacedCustomObject({
      group,
      version,
      plural: "regionalapps",
      namespace: ns(),
      name: "checkout",
    });
    await pollUntil("DNSEndpoint garbage-collected", 60_000, async () => {
      try {
        await readEndpoint("meridian-checkout");
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    });
  });
});

/** A kubeconfig for a fresh ServiceAccount that may read RegionalApps and nothing else. */
async function serviceAccountConfig(name: string): Promise<KubeConfig> {
  const kc = kubeConfigFor(hub);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: ns(), body: { metadata: { name } } });
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: ns(),
    body: {
      metadata: { name },
      rules: [{ apiGroups: [group], resources: ["regionalapps"], verbs: ["get"] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns(),
    body: {
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: ns() }],
    },
  });
  const { status } = await core.createNamespacedServiceAccountToken({
    namespace: ns(),
    name,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const cluster = kc.getCurrentCluster();
  const limited = new KubeConfig();
  limited.loadFromOptions({
    clusters: [
      { name: "hub", server: cluster?.server as string, caData: cluster?.caData, skipTLSVerify: false },
    ],
    users: [{ name, token: status?.token }],
    contexts: [{ name: "hub", cluster: "hub", user: name }],
    currentContext: "hub",
  });
  return limited;
}
