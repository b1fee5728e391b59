// RDATA of the record types Meridian writes and reads. Other types are kept as raw bytes.
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes } from "./address.ts";
import type { WireReader, WireWriter } from "./bytes.ts";
import { RecordType } from "./constants.ts";
import { WireError } from "./errors.ts";
import { type CompressionTable, readName, writeName } from "./name.ts";

export interface SoaData {
  kind: "soa";
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** The TSIG RR's RDATA (RFC 8945 section 4.2). */
export interface TsigData {
  kind: "tsig";
  algorithm: string;
  /** Seconds since the epoch (48 bits). */
  timeSigned: number;
  fudge: number;
  mac: Uint8Array;
  originalId: number;
  error: number;
  other: Uint8Array;
}

export type RData =
  /** RDLENGTH 0: the form of RFC 2136's "delete RRset" and "RRset (does not) exist". */
  | { kind: "empty" }
  /** A or AAAA, by the record's type. */
  | { kind: "address"; address: string }
  /** CNAME or NS. */
  | { kind: "name"; name: string }
  /** Character-strings of at most 255 bytes, one JavaScript char per byte. */
  | { kind: "txt"; strings: string[] }
  | SoaData
  | TsigData
  | { kind: "raw"; bytes: Uint8Array };

/** RFC 3597 section 4: only the types of RFC 1035 may have names compressed inside their RDATA. */
const compressibleRdata = new Set<number>([RecordType.NS, RecordType.CNAME, RecordType.SOA]);

export function writeRData(w: WireWriter, type: number, data: RData, table?: CompressionTable): void {
  const names = compressibleRdata.has(type) ? table : undefined;
  switch (data.kind) {
    case "empty":
      return;
    case "address":
      if (type === RecordType.A) w.bytes(ipv4ToBytes(data.address));
      else if (type === RecordType.AAAA) w.bytes(ipv6ToBytes(data.address));
      else throw new WireError(`an address is RDATA of A or AAAA, not of type ${type}`);
      return;
    case "name":
      writeName(w, data.name, names);
      return;
    case "txt":
      for (const s of data.strings) {
        if (s.length > 255 || [...s].some((ch) => ch.charCodeAt(0) > 0xff)) {
          throw new WireError(`TXT string ${JSON.stringify(s)} must be at most 255 bytes of Latin-1`);
        }
        w.u8(s.length);
        w.bytes(Buffer.from(s, "latin1"));
      }
      return;
    case "soa":
      writeName(w, data.mname, names);
      writeName(w, data.rname, names);
      for (const v of [data.serial, data.refresh, data.retry, data.expire, data.minimum]) w.u32(v);
      return;
    case "tsig":
      writeName(w, data.algorithm); // never compressed (RFC 8945 section 4.2)
      w.u48(data.timeSigned);
      w.u16(data.fudge);
      w.u16(data.mac.length);
      w.bytes(data.mac);
      w.u16(data.originalId);
      w.u16(data.error);
      w.u16(data.other.length);
      w.bytes(data.other);
      return;
    case "raw":
      w.bytes(data.bytes);
      return;
  }
}

/** Reads `length` bytes of RDATA at the reader's offset; names may point anywhere earlier in the message. */
export function readRData(r: WireReader, type: number, length: number): RData {
  const end = r.offset + length;
  if (end > r.bytes.length) throw new WireError(`RDATA of ${length} bytes runs past the end of the message`);
  const data = length === 0 ? { kind: "empty" as const } : parseRData(r, type, length, end);
  if (r.offset !== end)
    throw new WireError(
      `RDATA of type ${type} is ${length} bytes but its fields take ${r.offset - end + length}`,
    );
  return data;
}

function parseRData(r: WireReader, type: number, length: number, end: number): RData {
  switch (type) {
    case RecordType.A:
      return { kind: "address", address: bytesToIpv4(r.take(length, "an A record")) };
    case RecordType.AAAA:
      return { kind: "address", address: bytesToIpv6(r.take(length, "an AAAA record")) };
    case RecordType.CNAME:
    case RecordType.NS:
      return { kind: "name", name: readName(r) };
    case RecordType.TXT: {
      const strings: string[] = [];
      while (r.offset < end) {
        const n = r.u8("a TXT string");
        strings.push(Buffer.from(r.take(n, "a TXT string")).toString("latin1"));
      }
      return { kind: "txt", strings };
    }
    case RecordType.SOA:
      return {
        kind: "soa",
        mname: readName(r),
        rname: readName(r),
        serial: r.u32("an SOA record"),
        refresh: r.u32("an SOA record"),
        retry: r.u32("an SOA record"),
        expire: r.u32("an SOA record"),
        minimum: r.u32("an SOA record"),
      };
    case RecordType.TSIG:
      return {
        kind: "tsig",
        algorithm: readName(r),
        timeSigned: r.u48("a TSIG record"),
        fudge: r.u16("a TSIG record"),
        mac: r.take(r.u16("a TSIG record"), "a TSIG MAC"),
        originalId: r.u16("a TSIG record"),
        error: r.u16("a TSIG record"),
        other: r.take(r.u16("a TSIG record"), "TSIG other data"),
      };
    default:
      return { kind: "raw", bytes: r.take(length) };
  }
}
