// What a DNS server's reply, or its silence, means for an SRE: a condition reason and a message
// that names the problem and the fix. Shared by the rfc2136 provider's updates and queries.
import { Reason } from "../api/reasons.ts";
import { DnsError } from "./provider.ts";
import { nameOf, Rcode, TsigError } from "./wire/constants.ts";
import { WireError } from "./wire/errors.ts";
import type { Reply } from "./wire/exchange.ts";
import { TransportError } from "./wire/transport.ts";
import { defaultFudgeSeconds, type TsigKey } from "./wire/tsig.ts";

export interface Rfc2136Context {
  /** host:port as configured. */
  server: string;
  zone: string;
  key: TsigKey;
  /** What was being done, for messages: e.g. "the update of app.example.com A". */
  operation: string;
  request: "query" | "update";
  /** For REFUSED on an update: the names and types the key must be granted. */
  grants?: { name: string; type: string }[];
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The error a reply stands for, or undefined when it is verified and its rcode is one the caller handles. */
export function replyError(
  reply: Reply,
  ctx: Rfc2136Context,
  nowMs: number,
  accepted: number[],
): DnsError | undefined {
  const { message, tsig } = reply;
  const rcode = message.header.rcode;
  const at = ctx.server;
  const keyDesc = `TSIG key ${ctx.key.name} (${ctx.key.algorithm})`;
  if (!tsig.ok && tsig.problem === "tsig-error") {
    switch (tsig.tsigError) {
      case TsigError.BADKEY:
        return new DnsError(
          Reason.DnsCredentialsInvalid,
          `${ctx.operation}: DNS server ${at} has no TSIG key ${ctx.key.name} with algorithm ${ctx.key.algorithm} (TSIG BADKEY). The Secret's name and algorithm must match the server's key statement exactly, e.g. key "${ctx.key.name}" { algorithm ${ctx.key.algorithm}; ... };`,
        );
      case TsigError.BADSIG:
        return new DnsError(
          Reason.DnsCredentialsInvalid,
          `${ctx.operation}: the TSIG key name or secret does not match the server's key: ${at} knows a key named ${ctx.key.name} but the signature made with the Secret's secret does not verify (TSIG BADSIG). Copy the secret from the server's key statement into the Secret's "secret" key`,
        );
      case TsigError.BADTIME: {
        const serverClock =
          tsig.serverTime === undefined ? "" : `; the server's clock says ${iso(tsig.serverTime)}`;
        return new DnsError(
          Reason.DnsTsigClockSkew,
          `${ctx.operation}: DNS server ${at} rejected the signature's time (TSIG BADTIME): our clock says ${iso(nowMs / 1000)}${serverClock}. TSIG signatures are valid for ${defaultFudgeSeconds} s either way; synchronise the clocks (NTP) of the DNS server and the operator's node`,
        );
      }
      default:
        return new DnsError(
          Reason.DnsUpdateRejected,
          `${ctx.operation}: DNS server ${at} answered with TSIG error ${nameOf(TsigError, tsig.tsigError)}`,
        );
    }
  }
  if (!tsig.ok && tsig.problem === "clock-skew") {
    return new DnsError(
      Reason.DnsTsigClockSkew,
      `${ctx.operation}: the reply from ${at} is signed at ${iso(tsig.serverTime)} but our clock says ${iso(nowMs / 1000)}, more than ${defaultFudgeSeconds} s apart; synchronise the clocks (NTP) of the DNS server and the operator's node`,
    );
  }
  // An unsigned refusal is still a refusal; only an unsigned success must not be believed.
  if (!tsig.ok && (tsig.problem !== "unsigned" || accepted.includes(rcode))) {
    const why = {
      unsigned: "is not signed",
      "wrong-key": "is signed with another key",
      "bad-mac": "has a signature that does not verify with our key",
    }[tsig.problem];
    return new DnsError(
      Reason.DnsResponseUnverified,
      `${ctx.operation}: the reply from ${at} ${why}, so Meridian cannot trust it. Check that ${at} is the zone's primary server and holds the same ${keyDesc}; something between may be answering in its place`,
    );
  }
  return accepted.includes(rcode) ? undefined : rcodeError(rcode, ctx);
}

function rcodeError(rcode: number, ctx: Rfc2136Context): DnsError {
  const at = ctx.server;
  const said = `${ctx.operation}: DNS server ${at} answered ${nameOf(Rcode, rcode)}`;
  switch (rcode) {
    case Rcode.NOTAUTH:
      return new DnsError(
        Reason.DnsNotAuthoritative,
        `${said}: it is not authoritative for zone ${ctx.zone}. Point spec.dns.provider.rfc2136.server at the zone's primary server, or set zone to the zone ${at} serves`,
      );
    case Rcode.NOTZONE:
      return new DnsError(
        Reason.DnsNotInZone,
        `${said}: a name in the update is not inside zone ${ctx.zone}. Set spec.dns.provider.rfc2136.zone to the zone that contains spec.dns.hostname`,
      );
    case Rcode.REFUSED: {
      if (ctx.request === "query") {
        return new DnsError(
          Reason.DnsNotAuthoritative,
          `${said}: it does not serve zone ${ctx.zone}, or does not let the operator query it (allow-query). Point spec.dns.provider.rfc2136.server at the zone's primary server`,
        );
      }
      const grants = ctx.grants ?? [];
      const example = grants.map((g) => `grant ${ctx.key.name} name ${g.name}. ${g.type};`).join(" ");
      const fix =
        grants.length > 0
          ? `its update-policy for zone ${ctx.zone} must let key ${ctx.key.name} change ${grants.map((g) => `${g.name} ${g.type}`).join(" and ")}, e.g. update-policy { ${example} };`
          : `zone ${ctx.zone} takes no updates signed with key ${ctx.key.name}; give it an update-policy that grants the key the app's names, e.g. update-policy { grant ${ctx.key.name} zonesub ANY; };`;
      return new DnsError(Reason.DnsUpdateRefused, `${said}: ${fix}`);
    }
    case Rcode.SERVFAIL:
      return new DnsError(
        Reason.DnsServerFailure,
        `${said}: the server failed internally. Check its log; usual causes are a zone that did not load or a zone file or journal the server cannot write`,
      );
    case Rcode.NOTIMP:
      return new DnsError(
        Reason.DnsUpdateRejected,
        `${said}: it does not implement this request (DNS UPDATE, RFC 2136). Use a server that does, or the dnsEndpoint provider`,
      );
    case Rcode.FORMERR:
      return new DnsError(
        Reason.DnsUpdateRejected,
        `${said}: it could not parse Meridian's message. This is a bug in Meridian; please report it with the server's log`,
      );
    default:
      return new DnsError(Reason.DnsUpdateRejected, `${said}; see the server's log for why`);
  }
}

/** The DnsError for a failure to get a reply at all; other errors are rethrown as they are. */
export function exchangeError(err: unknown, ctx: Rfc2136Context): DnsError {
  if (err instanceof TransportError) {
    return new DnsError(
      Reason.DnsServerUnreachable,
      `${ctx.operation}: ${err.message}. Check that the DNS server runs at ${ctx.server} and that the operator's pod can reach it over UDP and TCP`,
    );
  }
  if (err instanceof WireError) {
    return new DnsError(
      Reason.DnsResponseMalformed,
      `${ctx.operation}: the reply from ${ctx.server} is not a valid DNS message (${err.message}). Check that ${ctx.server} is a DNS server`,
    );
  }
  throw err;
}
