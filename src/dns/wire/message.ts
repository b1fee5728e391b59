// DNS messages (RFC 1035 section 4.1) as plain objects, and their wire form. The same layout
// carries UPDATE (RFC 2136 section 2): the sections are then Zone, Prerequisite, Update and
// Additional, which is how `updateMessage` fills them.
import { WireReader, WireWriter } from "./bytes.ts";
import { Opcode, RecordClass, RecordType } from "./constants.ts";
import { WireError } from "./errors.ts";
import { type CompressionTable, readName, writeName } from "./name.ts";
import { type RData, readRData, type TsigData, writeRData } from "./rdata.ts";

export interface Header {
  id: number;
  /** True in a response. */
  qr: boolean;
  opcode: number;
  /** Authoritative answer. */
  aa: boolean;
  /** Truncated: the answer did not fit in a UDP datagram; ask again over TCP. */
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: RData;
}

export interface Message {
  header: Header;
  /** The zone section of an UPDATE. */
  questions: Question[];
  /** The prerequisite section of an UPDATE. */
  answers: ResourceRecord[];
  /** The update section of an UPDATE. */
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

export type TsigRecord = ResourceRecord & { data: TsigData };

export interface DecodedMessage {
  message: Message;
  /** The TSIG record closing the additional section, and the offset where it starts (what its MAC covers ends there). */
  tsig?: { record: TsigRecord; offset: number };
}

const requestHeader = (id: number, opcode: number): Header => ({
  id,
  qr: false,
  opcode,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  rcode: 0,
});

export function queryMessage(id: number, name: string, type: number): Message {
  return {
    header: requestHeader(id, Opcode.QUERY),
    questions: [{ name, type, class: RecordClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

export function updateMessage(
  id: number,
  zone: string,
  prerequisites: ResourceRecord[],
  updates: ResourceRecord[],
): Message {
  return {
    header: requestHeader(id, Opcode.UPDATE),
    questions: [{ name: zone, type: RecordType.SOA, class: RecordClass.IN }],
    answers: prerequisites,
    authorities: updates,
    additionals: [],
  };
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new WireWriter();
  const table: CompressionTable = new Map();
  const h = m.header;
  w.u16(h.id);
  w.u16(
    (h.qr ? 0x8000 : 0) |
      ((h.opcode & 0xf) << 11) |
      (h.aa ? 0x400 : 0) |
      (h.tc ? 0x200 : 0) |
      (h.rd ? 0x100 : 0) |
      (h.ra ? 0x80 : 0) |
      (h.rcode & 0xf),
  );
  for (const n of [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length])
    w.u16(n);
  for (const q of m.questions) {
    writeName(w, q.name, table);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const rr of [...m.answers, ...m.authorities, ...m.additionals]) writeRecord(w, rr, table);
  return w.finish();
}

/** Appends one record; with a table its names are compressed (TSIG records are written without). */
export function writeRecord(w: WireWriter, rr: ResourceRecord, table?: CompressionTable): void {
  writeName(w, rr.name, table);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lengthAt = w.length;
  w.u16(0);
  writeRData(w, rr.type, rr.data, table);
  w.patchU16(lengthAt, w.length - lengthAt - 2);
}

export function decodeMessage(bytes: Uint8Array): DecodedMessage {
  const r = new WireReader(bytes);
  const id = r.u16("the header");
  const flags = r.u16("the header");
  const header: Header = {
    id,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x400) !== 0,
    tc: (flags & 0x200) !== 0,
    rd: (flags & 0x100) !== 0,
    ra: (flags & 0x80) !== 0,
    rcode: flags & 0xf,
  };
  const counts = [r.u16("the header"), r.u16("the header"), r.u16("the header"), r.u16("the header")];
  const [qd = 0, an = 0, ns = 0, ar = 0] = counts;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    questions.push({ name: readName(r), type: r.u16("a question"), class: r.u16("a question") });
  }
  const records = (n: number) => Array.from({ length: n }, () => ({ offset: r.offset, rr: readRecord(r) }));
  const answers = records(an).map((x) => x.rr);
  const authorities = records(ns).map((x) => x.rr);
  const additionals = records(ar);
  if (r.remaining !== 0) throw new WireError(`${r.remaining} bytes follow the last record`);

  const message: Message = {
    header,
    questions,
    answers,
    authorities,
    additionals: additionals.map((x) => x.rr),
  };
  // A TSIG record closes the message and signs everything before it (RFC 8945 section 5.1).
  const tsigAt = additionals.findIndex((x) => x.rr.type === RecordType.TSIG);
  if (tsigAt === -1) return { message };
  const tsig = additionals[tsigAt];
  if (tsigAt !== additionals.length - 1 || tsig?.rr.data.kind !== "tsig") {
    throw new WireError("a TSIG record must be the last record of the message and have RDATA");
  }
  message.additionals.pop();
  return { message, tsig: { record: tsig.rr as TsigRecord, offset: tsig.offset } };
}

function readRecord(r: WireReader): ResourceRecord {
  const name = readName(r);
  const type = r.u16("a record");
  const cls = r.u16("a record");
  const ttl = r.u32("a record");
  const length = r.u16("a record");
  return { name, type, class: cls, ttl, data: readRData(r, type, length) };
}
