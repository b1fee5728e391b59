// TSIG checks that BIND's replies in the fixture cannot show: a reply without TSIG, one signed
// with another key, one from a server whose clock is off.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeMessage, encodeMessage } from "../../../src/dns/wire/message.ts";
import { type TsigKey, verifyResponse } from "../../../src/dns/wire/tsig.ts";

const fixture = JSON.parse(
  readFileSync(resolve(import.meta.dirname, "../../fixtures/dns/nsupdate-wire.json"), "utf8"),
) as { key: { name: string; secret: string }; cases: { name: string; request: string; reply: string }[] };
const soa = fixture.cases.find((c) => c.name === "soa-query") as { request: string; reply: string };
const key: TsigKey = {
  name: fixture.key.name,
  algorithm: "hmac-sha256",
  secret: Buffer.from(fixture.key.secret, "base64"),
};
const request = decodeMessage(Buffer.from(soa.request, "hex"));
const requestMac = request.tsig?.record.data.mac as Uint8Array;
const signedAt = request.tsig?.record.data.timeSigned as number;
const reply = new Uint8Array(Buffer.from(soa.reply, "hex"));

const verify = (bytes: Uint8Array, k: TsigKey, now: number) =>
  verifyResponse(bytes, decodeMessage(bytes), k, requestMac, now);

describe("TSIG verification of replies", () => {
  it("accepts the reply within the fudge of 300 s either way, and calls anything beyond clock skew", () => {
    expect(verify(reply, key, signedAt + 300)).toEqual({ ok: true });
    expect(verify(reply, key, signedAt - 300)).toEqual({ ok: true });
    expect(verify(reply, key, signedAt + 301)).toEqual({
      ok: false,
      problem: "clock-skew",
      serverTime: signedAt,
    });
  });

  it("calls a reply without TSIG unsigned, even when everything else is right", () => {
    const unsigned = encodeMessage(decodeMessage(reply).message);
    expect(verify(unsigned, key, signedAt)).toEqual({ ok: false, problem: "unsigned" });
  });

  it("names the key when the reply is signed with another key or algorithm", () => {
    expect(verify(reply, { ...key, name: "other-key" }, signedAt)).toMatchObject({
      ok: false,
      problem: "wrong-key",
      keyName: "meridian-key",
    });
    expect(verify(reply, { ...key, algorithm: "hmac-sha512" }, signedAt)).toMatchObject({
      problem: "wrong-key",
      algorithm: "hmac-sha256",
    });
  });

  it("refuses the reply when our secret differs from the server's", () => {
    const otherSecret = { ...key, secret: new Uint8Array(32).fill(1) };
    expect(verify(reply, otherSecret, signedAt)).toEqual({ ok: false, problem: "bad-mac" });
  });
});
