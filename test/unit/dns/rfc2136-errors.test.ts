// The reply → condition table of the rfc2136 provider, for the replies a test BIND cannot easily
// be made to send (the integration tests cover BADSIG, BADKEY, BADTIME, REFUSED, SERVFAIL, NXRRSET).
import { describe, expect, it } from "vitest";
import { DnsError } from "../../../src/dns/provider.ts";
import { exchangeError, type Rfc2136Context, replyError } from "../../../src/dns/rfc2136-errors.ts";
import { Rcode } from "../../../src/dns/wire/constants.ts";
import { WireError } from "../../../src/dns/wire/errors.ts";
import type { Reply } from "../../../src/dns/wire/exchange.ts";
import { queryMessage } from "../../../src/dns/wire/message.ts";
import { TransportError } from "../../../src/dns/wire/transport.ts";
import type { ResponseCheck } from "../../../src/dns/wire/tsig.ts";

const ctx: Rfc2136Context = {
  server: "192.0.2.53:53",
  zone: "example.com",
  key: { name: "meridian-key", algorithm: "hmac-sha256", secret: new Uint8Array(32) },
  operation: "the update of app.example.com A",
  request: "update",
};
const now = Date.UTC(2026, 10, 23, 12, 0, 0);

function reply(rcode: number, tsig: ResponseCheck = { ok: true }): Reply {
  const message = queryMessage(1, "example.com", 6);
  return { message: { ...message, header: { ...message.header, qr: true, rcode } }, tsig, transport: "udp" };
}

describe("what a DNS server's reply means", () => {
  it("a verified reply with an rcode the caller handles is no error", () => {
    expect(replyError(reply(Rcode.NOERROR), ctx, now, [Rcode.NOERROR])).toBeUndefined();
    expect(replyError(reply(Rcode.NXRRSET), ctx, now, [Rcode.NOERROR, Rcode.NXRRSET])).toBeUndefined();
  });

  it.each([
    [Rcode.NOTAUTH, "DnsNotAuthoritative", "not authoritative for zone example.com"],
    [Rcode.NOTZONE, "DnsNotInZone", "spec.dns.provider.rfc2136.zone"],
    [Rcode.NOTIMP, "DnsUpdateRejected", "does not implement"],
    [Rcode.FORMERR, "DnsUpdateRejected", "bug in Meridian"],
    [Rcode.YXDOMAIN, "DnsUpdateRejected", "answered YXDOMAIN"],
  ])("rcode %i is %s, and the message says %s", (rcode, reason, says) => {
    const err = replyError(reply(rcode), ctx, now, [Rcode.NOERROR]);
    expect(err).toMatchObject({ reason });
    expect(err?.message).toContain(says);
    expect(err?.message).toContain("192.0.2.53:53");
  });

  it("never believes an unsigned success, but reports an unsigned refusal as what it is", () => {
    const unsigned: ResponseCheck = { ok: false, problem: "unsigned" };
    expect(replyError(reply(Rcode.NOERROR, unsigned), ctx, now, [Rcode.NOERROR])).toMatchObject({
      reason: "DnsResponseUnverified",
      message: expect.stringContaining("is not signed"),
    });
    expect(replyError(reply(Rcode.NOTIMP, unsigned), ctx, now, [Rcode.NOERROR])).toMatchObject({
      reason: "DnsUpdateRejected",
    });
  });

  it.each<[ResponseCheck, string, string]>([
    [{ ok: false, problem: "bad-mac" }, "DnsResponseUnverified", "does not verify with our key"],
    [
      { ok: false, problem: "wrong-key", keyName: "x", algorithm: "hmac-sha1" },
      "DnsResponseUnverified",
      "another key",
    ],
    [
      { ok: false, problem: "clock-skew", serverTime: now / 1000 + 600 },
      "DnsTsigClockSkew",
      "2026-11-23T12:10:00.000Z",
    ],
  ])("a reply whose TSIG fails (%j) is %s, even with rcode NOERROR", (tsig, reason, says) => {
    const err = replyError(reply(Rcode.NOERROR, tsig), ctx, now, [Rcode.NOERROR]);
    expect(err).toMatchObject({ reason });
    expect(err?.message).toContain(says);
  });

  it("a timeout or refused connection is unreachable; an unreadable reply is malformed; other errors pass through", () => {
    expect(
      exchangeError(new TransportError("no answer from 192.0.2.53:53 over UDP within 3000 ms"), ctx),
    ).toMatchObject({
      reason: "DnsServerUnreachable",
      message: expect.stringContaining("over UDP and TCP"),
    });
    expect(exchangeError(new WireError("message ends inside a name"), ctx)).toMatchObject({
      reason: "DnsResponseMalformed",
    });
    expect(() => exchangeError(new TypeError("bug"), ctx)).toThrow(TypeError);
    expect(exchangeError(new TransportError('server "x" is not host:port'), ctx)).toBeInstanceOf(DnsError);
  });
});
