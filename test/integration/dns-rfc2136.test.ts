// The rfc2136 provider against a real BIND 9 (test/harness/bind.ts) and a real hub API server
// holding the TSIG Secret: every answer is checked with dig, not only with Meridian's own client.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegionalApp } from "../../src/api/types.generated.ts";
import { dnsProviderFor } from "../../src/dns/factory.ts";
import { DnsError, type RecordChange } from "../../src/dns/provider.ts";
import { Rfc2136Provider } from "../../src/dns/rfc2136.ts";
import { buildUpdate } from "../../src/dns/rfc2136-update.ts";
import { Rcode, RecordType } from "../../src/dns/wire/constants.ts";
import { exchange } from "../../src/dns/wire/exchange.ts";
import { queryMessage } from "../../src/dns/wire/message.ts";
import { parseServer } from "../../src/dns/wire/transport.ts";
import type { TsigKey } from "../../src/dns/wire/tsig.ts";
import { type BindKey, type BindServer, startBind } from "../harness/bind.ts";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { freePort } from "../harness/operator-process.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const run = promisify(execFile);
const { region } = sharedTestbed();
const hub = region("us-east");
const ns = useNamespace([hub], "dns");
const zone = "example.test";
const sixteenAaaa = Array.from({ length: 16 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`);

let bind: BindServer;

beforeAll(async () => {
  bind = await startBind({
    keys: [
      { name: "meridian-key", algorithm: "hmac-sha256" },
      { name: "meridian-sha512", algorithm: "hmac-sha512" },
    ],
    zones: [
      {
        name: zone,
        records: [
          "app 300 IN A 203.0.113.10",
          "www 300 IN CNAME us.example.test.",
          "api 300 IN A 192.0.2.1",
          "api 300 IN A 192.0.2.2",
          "api 300 IN A 192.0.2.3",
          "contested 300 IN A 203.0.113.20",
          "cas 300 IN A 198.51.100.30",
          "taken 300 IN A 192.0.2.50",
          "locked 300 IN A 192.0.2.80",
          "broken 300 IN A 192.0.2.90",
          "sha512 300 IN A 192.0.2.60",
          "stale 300 IN A 192.0.2.70",
        ],
        updatePolicy: ["grant meridian-key zonesub ANY", "grant meridian-sha512 zonesub ANY"],
      },
      // Takes no updates at all.
      { name: "static.test", updatePolicy: [] },
      // The key may change app's A record but not its epoch TXT record.
      {
        name: "narrow.test",
        records: ["app 300 IN A 203.0.113.10"],
        updatePolicy: ["grant meridian-key name app.narrow.test. A"],
      },
    ],
  });
  await createTsigSecret("tsig", bind.key);
});

afterAll(async () => {
  await bind?.stop();
});

async function createTsigSecret(name: string, key: BindKey, omit?: "secret") {
  const data: Record<string, string> = { name: key.name, algorithm: key.algorithm, secret: key.secret };
  if (omit) delete data[omit];
  await kubeConfigFor(hub)
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({ namespace: ns(), body: { metadata: { name }, stringData: data } });
}

/** The provider a RegionalApp with this rfc2136 block gets from the operator. */
function providerFor(secretName = "tsig", zoneName = zone, server = bind.address) {
  const app = {
    apiVersion: "meridian.dev/v1alpha1",
    kind: "RegionalApp",
    metadata: { name: "checkout", namespace: ns(), uid: "00000000-0000-0000-0000-000000000001" },
    spec: {
      dns: {
        hostname: `app.${zoneName}`,
        recordType: "A",
        provider: { rfc2136: { server, zone: zoneName, tsigSecretRef: { name: secretName } } },
      },
    },
  } as unknown as RegionalApp;
  return dnsProviderFor(app, kubeConfigFor(hub), { timeoutMs: 1500, retransmitMs: 300 }) as Rfc2136Provider;
}

const tsigKey = (k: BindKey): TsigKey => ({
  name: k.name,
  algorithm: k.algorithm as TsigKey["algorithm"],
  secret: Buffer.from(k.secret, "base64"),
});

const change = (
  hostname: string,
  recordType: "A" | "AAAA" | "CNAME",
  targets: string[],
  expectedCurrent: string[],
  epoch: number,
): RecordChange => ({ desired: { hostname, recordType, ttlSeconds: 30, targets }, expectedCurrent, epoch });

async function dnsError(promise: Promise<unknown>): Promise<DnsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DnsError);
  return err as DnsError;
}

const soaSerial = async () => Number((await bind.dig(zone, "SOA"))[0]?.split(" ")[2]);

describe("rfc2136 provider against BIND 9", () => {
  it("pre-flight: a signed SOA query and an empty signed update pass with the key from the Secret", async () => {
    const serial = await soaSerial();
    const result = await providerFor().preflight();
    expect(result).toMatchObject({ ok: true, reason: "DnsProviderReady" });
    expect(result.message).toContain(`SOA serial ${serial}`);
    expect(await soaSerial()).toBe(serial); // the empty update changed nothing
  });

  it("swaps an A record, publishes the epoch beside it, and proves the answer and the new serial", async () => {
    const provider = providerFor();
    const before = await soaSerial();
    const applied = await provider.publish(
      change("app.example.test", "A", ["198.51.100.10"], ["203.0.113.10"], 2),
    );
    expect(applied.changed).toBe(true);
    expect(applied.soaSerial).toBeGreaterThan(before);
    expect(applied.soaSerial).toBe(await soaSerial());
    expect(await bind.dig("app.example.test", "A")).toEqual(["198.51.100.10"]);
    expect(await bind.dig("_meridian-epoch.app.example.test", "TXT")).toEqual(['"epoch=2"']);
    expect(await provider.current("app.example.test", "A")).toEqual(["198.51.100.10"]);
  });

  it("applying the same change again changes nothing: no update, same serial", async () => {
    const serial = await soaSerial();
    const applied = await providerFor().publish(
      change("app.example.test", "A", ["198.51.100.10"], ["203.0.113.10"], 2),
    );
    expect(applied).toEqual({ changed: false, soaSerial: serial });
  });

  it("NXRRSET: when someone else changed the record, the prerequisite stops the update and says what is there", async () => {
    const other = await bind.nsupdate([
      `zone ${zone}.`,
      "update delete contested.example.test. A",
      "update add contested.example.test. 30 A 192.0.2.99",
    ]);
    expect(other.code).toBe(0);
    const err = await dnsError(
      providerFor().apply(change("contested.example.test", "A", ["198.51.100.20"], ["203.0.113.20"], 1)),
    );
    expect(err.reason).toBe("DnsRecordChanged");
    expect(err.message).toContain("expected [203.0.113.20]");
    expect(err.message).toContain("holds [192.0.2.99]");
    expect(await bind.dig("contested.example.test", "A")).toEqual(["192.0.2.99"]);
    expect(await bind.dig("_meridian-epoch.contested.example.test", "TXT")).toEqual([]);
  });

  it("the server itself enforces the prerequisite: a stale compare-and-swap gets NXRRSET and changes nothing", async () => {
    const stale = buildUpdate(4242, {
      zone,
      desired: { hostname: "cas.example.test", recordType: "A", ttlSeconds: 30, targets: ["203.0.113.77"] },
      expectedCurrent: ["192.0.2.1"],
      publishedEpochRecords: [],
      epoch: 1,
    });
    const reply = await exchange(parseServer(bind.address), stale, tsigKey(bind.key), {
      timeoutMs: 1500,
      retransmitMs: 300,
      now: Date.now,
    });
    expect(reply.tsig).toEqual({ ok: true });
    expect(reply.message.header.rcode).toBe(Rcode.NXRRSET);
    expect(await bind.dig("cas.example.test", "A")).toEqual(["198.51.100.30"]);
  });

  it("YXRRSET: a first publication finds a record someone else created, and leaves it", async () => {
    const err = await dnsError(
      providerFor().apply(change("taken.example.test", "A", ["198.51.100.1"], [], 1)),
    );
    expect(err.reason).toBe("DnsRecordChanged");
    expect(err.message).toContain("expected nothing but");
    expect(err.message).toContain("holds [192.0.2.50]");
    expect(await bind.dig("taken.example.test", "A")).toEqual(["192.0.2.50"]);
  });

  it("swaps a CNAME", async () => {
    const provider = providerFor();
    await provider.apply(change("www.example.test", "CNAME", ["eu.example.test"], ["us.example.test"], 1));
    expect(await bind.dig("www.example.test", "CNAME")).toEqual(["eu.example.test."]);
    expect(await provider.current("www.example.test", "CNAME")).toEqual(["eu.example.test"]);
  });

  it("active-active: a region leaves the A set and comes back", async () => {
    const provider = providerFor();
    const all = ["192.0.2.1", "192.0.2.2", "192.0.2.3"];
    await provider.apply(change("api.example.test", "A", ["192.0.2.1", "192.0.2.3"], all, 1));
    expect((await bind.dig("api.example.test", "A")).sort()).toEqual(["192.0.2.1", "192.0.2.3"]);
    await provider.apply(change("api.example.test", "A", all, ["192.0.2.3", "192.0.2.1"], 1));
    expect((await bind.dig("api.example.test", "A")).sort()).toEqual(all);
  });

  it("reads a record set too large for a UDP reply over TCP (16 AAAA records)", async () => {
    const provider = providerFor();
    await provider.apply(change("big.example.test", "AAAA", sixteenAaaa, [], 1));
    expect(await provider.current("big.example.test", "AAAA")).toEqual([...sixteenAaaa].sort());
    // The same signed query, by hand: the UDP reply is truncated and the answer comes over TCP.
    const reply = await exchange(
      parseServer(bind.address),
      queryMessage(77, "big.example.test", RecordType.AAAA),
      tsigKey(bind.key),
      { timeoutMs: 1500, retransmitMs: 300, now: Date.now },
    );
    expect(reply.transport).toBe("tcp");
    expect(reply.message.answers).toHaveLength(16);
    expect(reply.tsig).toEqual({ ok: true });
  });

  it("refuses a change from an older epoch than the one that wrote the record", async () => {
    const provider = providerFor();
    await provider.apply(change("stale.example.test", "A", ["198.51.100.70"], ["192.0.2.70"], 5));
    const err = await dnsError(
      provider.apply(change("stale.example.test", "A", ["192.0.2.70"], ["198.51.100.70"], 4)),
    );
    expect(err.reason).toBe("EpochTooOld");
    expect(err.message).toContain("epoch 5");
    expect(await bind.dig("stale.example.test", "A")).toEqual(["198.51.100.70"]);
  });

  it("signs with the algorithm the Secret names (hmac-sha512)", async () => {
    const sha512 = bind.keys[1] as BindKey;
    await createTsigSecret("tsig-sha512", sha512);
    const provider = providerFor("tsig-sha512");
    expect(await provider.preflight()).toMatchObject({ ok: true });
    await provider.apply(change("sha512.example.test", "A", ["198.51.100.60"], ["192.0.2.60"], 1));
    expect(await bind.dig("sha512.example.test", "A")).toEqual(["198.51.100.60"]);
  });

  it("a wrong secret is refused with an error that says the key does not match, and nothing changes", async () => {
    await createTsigSecret("tsig-wrong-secret", {
      ...bind.key,
      secret: Buffer.alloc(32, 9).toString("base64"),
    });
    const provider = providerFor("tsig-wrong-secret");
    const check = await provider.preflight();
    expect(check).toMatchObject({ ok: false, reason: "DnsCredentialsInvalid" });
    expect(check.message).toContain("the TSIG key name or secret does not match the server's key");
    expect(check.message).toContain("BADSIG");
    const err = await dnsError(
      provider.apply(change("locked.example.test", "A", ["203.0.113.1"], ["192.0.2.80"], 1)),
    );
    expect(err.reason).toBe("DnsCredentialsInvalid");
    expect(await bind.dig("locked.example.test", "A")).toEqual(["192.0.2.80"]);
  });

  it("a key name the server does not know is refused, naming the key and algorithm", async () => {
    await createTsigSecret("tsig-unknown", { ...bind.key, name: "nobody-key" });
    const check = await providerFor("tsig-unknown").preflight();
    expect(check).toMatchObject({ ok: false, reason: "DnsCredentialsInvalid" });
    expect(check.message).toContain("has no TSIG key nobody-key with algorithm hmac-sha256 (TSIG BADKEY)");
  });

  it("a clock an hour off is reported as clock skew, with both clocks", async () => {
    const skewed = new Rfc2136Provider({
      server: bind.address,
      zone,
      key: async () => tsigKey(bind.key),
      now: () => Date.now() - 3_600_000,
    });
    const check = await skewed.preflight();
    expect(check).toMatchObject({ ok: false, reason: "DnsTsigClockSkew" });
    expect(check.message).toMatch(/our clock says .*the server's clock says/);
    expect(check.message).toContain("NTP");
  });

  it("a zone that takes no updates fails pre-flight, and a narrow update-policy names the grant it lacks", async () => {
    const staticZone = await providerFor("tsig", "static.test").preflight();
    expect(staticZone).toMatchObject({ ok: false, reason: "DnsUpdateRefused" });
    expect(staticZone.message).toContain("update-policy { grant meridian-key zonesub ANY; }");

    const narrow = providerFor("tsig", "narrow.test");
    const err = await dnsError(
      narrow.apply(change("app.narrow.test", "A", ["198.51.100.10"], ["203.0.113.10"], 1)),
    );
    expect(err.reason).toBe("DnsUpdateRefused");
    expect(err.message).toContain("grant meridian-key name _meridian-epoch.app.narrow.test. TXT;");
    expect(await bind.dig("app.narrow.test", "A")).toEqual(["203.0.113.10"]); // all or nothing
  });

  it("a zone the server does not serve is reported as not authoritative", async () => {
    const check = await providerFor("tsig", "elsewhere.test").preflight();
    expect(check).toMatchObject({ ok: false, reason: "DnsNotAuthoritative" });
    expect(check.message).toContain("does not serve zone elsewhere.test");
  });

  it("a server that is down is reported unreachable, naming the address", async () => {
    const server = `127.0.0.1:${await freePort()}`;
    const check = await providerFor("tsig", zone, server).preflight();
    expect(check).toMatchObject({ ok: false, reason: "DnsServerUnreachable" });
    expect(check.message).toContain(server);
  });

  it("a missing Secret, or one without a secret, says how to create it", async () => {
    const missing = await providerFor("no-such-secret").preflight();
    expect(missing).toMatchObject({ ok: false, reason: "DnsTsigSecretUnavailable" });
    expect(missing.message).toContain(`kubectl -n ${ns()} create secret generic no-such-secret`);

    await createTsigSecret("tsig-no-secret", bind.key, "secret");
    const incomplete = await providerFor("tsig-no-secret").preflight();
    expect(incomplete).toMatchObject({ ok: false, reason: "DnsCredentialsInvalid" });
    expect(incomplete.message).toContain('has no "secret"');
  });

  it("SERVFAIL (the server cannot write its journal) is reported as a server failure", async () => {
    // named runs as user bind; a folder it no longer owns makes every update fail inside the server.
    await run("chown", ["root:root", bind.dir]);
    try {
      const err = await dnsError(
        providerFor().apply(change("broken.example.test", "A", ["203.0.113.90"], ["192.0.2.90"], 1)),
      );
      expect(err.reason).toBe("DnsServerFailure");
      expect(err.message).toContain("journal");
    } finally {
      await run("chown", ["bind:bind", bind.dir]);
    }
  });
});
