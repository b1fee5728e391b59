// TSIG (RFC 8945): an HMAC over the message and a few "TSIG variables", appended as the last
// record. The server signs its response over our request's MAC too, so a verified response is
// known to answer this very request, unaltered, from a holder of the key.
import { createHmac, timingSafeEqual } from "node:crypto";
import { WireReader, WireWriter } from "./bytes.ts";
import { RecordClass, RecordType } from "./constants.ts";
import type { DecodedMessage } from "./message.ts";
import { writeRecord } from "./message.ts";
import { normalizeName, writeName } from "./name.ts";

/** The algorithms we sign with, by their TSIG name, and the node:crypto hash of each. */
export const tsigAlgorithms = {
  "hmac-sha1": "sha1",
  "hmac-sha224": "sha224",
  "hmac-sha256": "sha256",
  "hmac-sha384": "sha384",
  "hmac-sha512": "sha512",
} as const;

export type TsigAlgorithm = keyof typeof tsigAlgorithms;

export function isTsigAlgorithm(name: string): name is TsigAlgorithm {
  return Object.hasOwn(tsigAlgorithms, name);
}

export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  secret: Uint8Array;
}

/** Seconds of clock difference the server may allow us, and we allow it: RFC 8945's recommended 300. */
export const defaultFudgeSeconds = 300;

const none = new Uint8Array(0);

/** RFC 8945 section 4.3.3: the fields of the TSIG record that the MAC covers, names in canonical form. */
function variables(
  keyName: string,
  algorithm: string,
  timeSigned: number,
  fudge: number,
  error: number,
  other: Uint8Array,
): Uint8Array {
  const w = new WireWriter();
  writeName(w, normalizeName(keyName));
  w.u16(RecordClass.ANY);
  w.u32(0);
  writeName(w, normalizeName(algorithm));
  w.u48(timeSigned);
  w.u16(fudge);
  w.u16(error);
  w.u16(other.length);
  w.bytes(other);
  return w.finish();
}

function hmac(key: TsigKey, parts: Uint8Array[]): Uint8Array {
  const h = createHmac(tsigAlgorithms[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

export interface SignedRequest {
  bytes: Uint8Array;
  /** Our MAC, which the response's MAC covers. */
  mac: Uint8Array;
}

/** Appends a TSIG record to an encoded request; `timeSigned` is in seconds since the epoch. */
export function signRequest(
  message: Uint8Array,
  key: TsigKey,
  timeSigned: number,
  fudge = defaultFudgeSeconds,
): SignedRequest {
  const mac = hmac(key, [message, variables(key.name, key.algorithm, timeSigned, fudge, 0, none)]);
  const w = new WireWriter();
  w.bytes(message);
  writeRecord(w, {
    name: key.name,
    type: RecordType.TSIG,
    class: RecordClass.ANY,
    ttl: 0,
    data: {
      kind: "tsig",
      algorithm: key.algorithm,
      timeSigned,
      fudge,
      mac,
      originalId: new WireReader(message).u16(),
      error: 0,
      other: none,
    },
  });
  const bytes = w.finish();
  const arcount = new WireReader(bytes, 10).u16();
  bytes[10] = ((arcount + 1) >>> 8) & 0xff;
  bytes[11] = (arcount + 1) & 0xff;
  return { bytes, mac };
}

export type ResponseCheck =
  | { ok: true }
  /** The server did not sign its response. */
  | { ok: false; problem: "unsigned" }
  /** The server could not verify our request: BADSIG, BADKEY, BADTIME (RFC 8945 section 5.2). */
  | { ok: false; problem: "tsig-error"; tsigError: number; serverTime: number | undefined }
  /** Signed, but with another key or algorithm than ours. */
  | { ok: false; problem: "wrong-key"; keyName: string; algorithm: string }
  | { ok: false; problem: "bad-mac" }
  /** The MAC verifies but the server's clock is more than the fudge away from ours. */
  | { ok: false; problem: "clock-skew"; serverTime: number };

/** Checks a response's TSIG against our key and the MAC of the request it answers; `now` in seconds. */
export function verifyResponse(
  bytes: Uint8Array,
  decoded: DecodedMessage,
  key: TsigKey,
  requestMac: Uint8Array,
  now: number,
): ResponseCheck {
  if (!decoded.tsig) return { ok: false, problem: "unsigned" };
  const { record, offset } = decoded.tsig;
  const t = record.data;
  if (t.error !== 0) {
    // With BADTIME the server puts its own clock in Other Data, as 48 bits.
    const serverTime = t.other.length === 6 ? new WireReader(t.other).u48() : undefined;
    return { ok: false, problem: "tsig-error", tsigError: t.error, serverTime };
  }
  if (
    normalizeName(record.name) !== normalizeName(key.name) ||
    normalizeName(t.algorithm) !== key.algorithm
  ) {
    return { ok: false, problem: "wrong-key", keyName: record.name, algorithm: t.algorithm };
  }
  // The MAC covers the message as it was before the TSIG record was added: original ID, one
  // additional record fewer.
  const unsigned = bytes.slice(0, offset);
  const arcount = new WireReader(unsigned, 10).u16() - 1;
  unsigned.set([t.originalId >>> 8, t.originalId & 0xff], 0);
  unsigned.set([arcount >>> 8, arcount & 0xff], 10);
  const prior = new WireWriter();
  prior.u16(requestMac.length);
  prior.bytes(requestMac);
  const expected = hmac(key, [
    prior.finish(),
    unsigned,
    variables(record.name, t.algorithm, t.timeSigned, t.fudge, t.error, t.other),
  ]);
  if (t.mac.length !== expected.length || !timingSafeEqual(t.mac, expected))
    return { ok: false, problem: "bad-mac" };
  if (Math.abs(now - t.timeSigned) > t.fudge)
    return { ok: false, problem: "clock-skew", serverTime: t.timeSigned };
  return { ok: true };
}
