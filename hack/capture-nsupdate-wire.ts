// Regenerates test/fixtures/dns/nsupdate-wire.json: the bytes BIND's own tools put on the wire
// for the updates Meridian sends, and BIND's replies, as reference for the encoder's unit tests.
//   hack/dev node hack/capture-nsupdate-wire.ts
// It starts named (test/harness/bind.ts), puts a UDP relay in front of it that records every
// datagram, and runs nsupdate (and dig, for a signed SOA query) through the relay. Each update is
// written here in nsupdate's own language from the same inputs the unit test hands Meridian's
// encoder, so the two can be compared byte for byte.
import { execFile } from "node:child_process";
import { createSocket, type RemoteInfo } from "node:dgram";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { type BindKey, startBind } from "../test/harness/bind.ts";

const run = promisify(execFile);
const out = resolve(import.meta.dirname, "../test/fixtures/dns/nsupdate-wire.json");
const zone = "example.test";

/** What Meridian's buildUpdate takes; targets already in canonical, sorted form. */
interface UpdateInput {
  zone: string;
  desired: { hostname: string; recordType: "A" | "AAAA" | "CNAME"; ttlSeconds: number; targets: string[] };
  expectedCurrent: string[];
  publishedEpochRecords: string[][];
  epoch: number;
}

const swapA: UpdateInput = {
  zone,
  desired: { hostname: "app.example.test", recordType: "A", ttlSeconds: 30, targets: ["198.51.100.10"] },
  expectedCurrent: ["203.0.113.10"],
  publishedEpochRecords: [["epoch=1"]],
  epoch: 2,
};

const updates: { name: string; description: string; input: UpdateInput }[] = [
  {
    name: "swap-a",
    description: "active-passive failover: app A 203.0.113.10 -> 198.51.100.10, epoch 1 -> 2",
    input: swapA,
  },
  {
    name: "create-cname",
    description: "first publication of a CNAME: no record and no epoch yet (class NONE prerequisites)",
    input: {
      zone,
      desired: {
        hostname: "www.example.test",
        recordType: "CNAME",
        ttlSeconds: 60,
        targets: ["eu.example.test"],
      },
      expectedCurrent: [],
      publishedEpochRecords: [],
      epoch: 1,
    },
  },
  {
    name: "active-active-aaaa",
    description: "active-active: region 2001:db8::3 leaves the AAAA set",
    input: {
      zone,
      desired: {
        hostname: "api.example.test",
        recordType: "AAAA",
        ttlSeconds: 30,
        targets: ["2001:db8::1", "2001:db8::2"],
      },
      expectedCurrent: ["2001:db8::1", "2001:db8::2", "2001:db8::3"],
      publishedEpochRecords: [["epoch=4"]],
      epoch: 5,
    },
  },
  {
    name: "stale-prerequisite",
    description: "swap-a sent again after it succeeded: the server answers NXRRSET",
    input: swapA,
  },
];

/** The update in nsupdate's language, in the order RFC 2136 sections and Meridian's builder use. */
function nsupdateCommands(u: UpdateInput): string[] {
  const { hostname, recordType, ttlSeconds, targets } = u.desired;
  const epochName = `_meridian-epoch.${hostname}.`;
  const rdata = (t: string) => (recordType === "CNAME" ? `${t}.` : t);
  const expect = (name: string, type: string, values: string[]) =>
    values.length === 0
      ? [`prereq nxrrset ${name} ${type}`]
      : values.map((v) => `prereq yxrrset ${name} ${type} ${v}`);
  return [
    `zone ${u.zone}.`,
    ...expect(`${hostname}.`, recordType, u.expectedCurrent.map(rdata)),
    ...expect(
      epochName,
      "TXT",
      u.publishedEpochRecords.map((strings) => strings.map((s) => `"${s}"`).join(" ")),
    ),
    `update delete ${hostname}. ${recordType}`,
    ...targets.map((t) => `update add ${hostname}. ${ttlSeconds} ${recordType} ${rdata(t)}`),
    `update delete ${epochName} TXT`,
    `update add ${epochName} ${ttlSeconds} TXT "epoch=${u.epoch}"`,
  ];
}

/** A UDP relay to `port` that keeps the last request and reply it passed on. */
async function relayTo(port: number) {
  const front = createSocket("udp4");
  const back = createSocket("udp4");
  let client: RemoteInfo | undefined;
  const seen: { request?: Buffer; reply?: Buffer } = {};
  front.on("message", (msg, from) => {
    client = from;
    seen.request = msg;
    back.send(msg, port, "127.0.0.1");
  });
  back.on("message", (msg) => {
    seen.reply = msg;
    if (client) front.send(msg, client.port, client.address);
  });
  await new Promise<void>((r) => front.bind(0, "127.0.0.1", r));
  await new Promise<void>((r) => back.bind(0, "127.0.0.1", r));
  return {
    port: front.address().port,
    take() {
      const { request, reply } = seen;
      seen.request = undefined;
      seen.reply = undefined;
      if (!request || !reply) throw new Error("the relay saw no request and reply");
      return { request: request.toString("hex"), reply: reply.toString("hex") };
    },
    close() {
      front.close();
      back.close();
    },
  };
}

const bind = await startBind({
  zones: [
    {
      name: zone,
      records: [
        "app 300 IN A 203.0.113.10",
        '_meridian-epoch.app 300 IN TXT "epoch=1"',
        "api 300 IN AAAA 2001:db8::1",
        "api 300 IN AAAA 2001:db8::2",
        "api 300 IN AAAA 2001:db8::3",
        '_meridian-epoch.api 300 IN TXT "epoch=4"',
      ],
    },
  ],
});
const relay = await relayTo(bind.port);
try {
  const cases = [];
  for (const u of updates) {
    const commands = nsupdateCommands(u.input);
    const result = await bind.nsupdate(commands, bind.key, relay.port);
    cases.push({ ...u, commands, nsupdateExitCode: result.code, ...relay.take() });
  }
  const strangers: { name: string; description: string; key: BindKey }[] = [
    {
      name: "unknown-key",
      description: "signed with a key the server does not have: NOTAUTH, TSIG error BADKEY, unsigned",
      key: { name: "stranger-key", algorithm: "hmac-sha256", secret: bind.key.secret },
    },
    {
      name: "wrong-secret",
      description: "the server's key name with another secret: NOTAUTH, TSIG error BADSIG, unsigned",
      key: { ...bind.key, secret: Buffer.alloc(32, 7).toString("base64") },
    },
  ];
  for (const s of strangers) {
    const commands = nsupdateCommands(swapA);
    const result = await bind.nsupdate(commands, s.key, relay.port);
    cases.push({
      name: s.name,
      description: s.description,
      key: s.key,
      input: swapA,
      commands,
      nsupdateExitCode: result.code,
      ...relay.take(),
    });
  }
  const digArgs = [
    "+norecurse",
    "+noedns",
    "+noadflag",
    "-y",
    `${bind.key.algorithm}:${bind.key.name}:${bind.key.secret}`,
  ];
  await run("dig", ["@127.0.0.1", "-p", String(relay.port), ...digArgs, zone, "SOA"]);
  cases.push({
    name: "soa-query",
    description: "a signed SOA query for the zone (dig), as Meridian's pre-flight sends",
    query: { name: zone, type: "SOA" },
    ...relay.take(),
  });
  const { stdout: version } = await run("/usr/sbin/named", ["-v"]);
  const fixture = {
    generatedBy: "hack/capture-nsupdate-wire.ts",
    server: version.trim(),
    key: bind.key,
    cases,
  };
  await writeFile(out, `${JSON.stringify(fixture, null, 2)}\n`);
  // In the layout `npm run lint` checks.
  await run(resolve(import.meta.dirname, "../node_modules/.bin/biome"), ["format", "--write", out]);
  console.log(`wrote ${cases.length} cases to ${out}`);
} finally {
  relay.close();
  await bind.stop();
}
