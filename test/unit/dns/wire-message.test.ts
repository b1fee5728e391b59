import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Opcode, RecordClass, RecordType } from "../../../src/dns/wire/constants.ts";
import { WireError } from "../../../src/dns/wire/errors.ts";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  queryMessage,
  type ResourceRecord,
} from "../../../src/dns/wire/message.ts";
import type { RData } from "../../../src/dns/wire/rdata.ts";
import { signRequest } from "../../../src/dns/wire/tsig.ts";

const name = fc
  .array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { maxLength: 5 })
  .map((labels) => labels.join("."));
const u32 = fc.nat({ max: 0xffffffff });

/** Records of every type the codec knows, each with RDATA of its type. */
const record: fc.Arbitrary<ResourceRecord> = fc
  .oneof(
    fc.record({
      type: fc.constant(RecordType.A),
      data: fc.ipV4().map((address): RData => ({ kind: "address", address })),
    }),
    fc.record({
      type: fc.constant(RecordType.AAAA),
      data: fc
        .constantFrom("2001:db8::1", "::", "fe80::1:2", "2001:db8:0:1:1:1:1:1")
        .map((address): RData => ({ kind: "address", address })),
    }),
    fc.record({
      type: fc.constant(RecordType.CNAME),
      data: name.map((n): RData => ({ kind: "name", name: n })),
    }),
    fc.record({
      type: fc.constant(RecordType.TXT),
      data: fc
        .array(
          fc.string({ maxLength: 40 }).filter((s) => [...s].every((c) => c.charCodeAt(0) <= 0xff)),
          { minLength: 1, maxLength: 3 },
        )
        .map((strings): RData => ({ kind: "txt", strings })),
    }),
    fc.record({
      type: fc.constant(RecordType.SOA),
      data: fc
        .record({
          mname: name,
          rname: name,
          serial: u32,
          refresh: u32,
          retry: u32,
          expire: u32,
          minimum: u32,
        })
        .map((s): RData => ({ kind: "soa", ...s })),
    }),
    fc.record({
      type: fc.constant(99),
      data: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes): RData => ({ kind: "raw", bytes })),
    }),
    fc.record({
      type: fc.constantFrom(RecordType.A, RecordType.TXT),
      data: fc.constant<RData>({ kind: "empty" }),
    }),
  )
  .chain((typed) =>
    fc.record({
      name,
      type: fc.constant(typed.type),
      class: fc.constantFrom(RecordClass.IN, RecordClass.NONE, RecordClass.ANY),
      ttl: u32,
      data: fc.constant(typed.data),
    }),
  );

const message: fc.Arbitrary<Message> = fc.record({
  header: fc.record({
    id: fc.nat({ max: 0xffff }),
    qr: fc.boolean(),
    opcode: fc.constantFrom(Opcode.QUERY, Opcode.UPDATE),
    aa: fc.boolean(),
    tc: fc.boolean(),
    rd: fc.boolean(),
    ra: fc.boolean(),
    rcode: fc.nat({ max: 15 }),
  }),
  questions: fc.array(fc.record({ name, type: fc.constantFrom(1, 6, 28), class: fc.constant(1) }), {
    maxLength: 2,
  }),
  answers: fc.array(record, { maxLength: 4 }),
  authorities: fc.array(record, { maxLength: 4 }),
  additionals: fc.array(record, { maxLength: 2 }),
});

describe("DNS messages", () => {
  it("decode(encode(m)) is m, for messages of every section and record type", () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual({ message: m });
      }),
    );
  });

  it("fails on any cut-short message with WireError, never a crash or a wrong message", () => {
    fc.assert(
      fc.property(message, fc.nat(), (m, cut) => {
        const bytes = encodeMessage(m);
        fc.pre(bytes.length > 0);
        const short = bytes.subarray(0, cut % bytes.length);
        expect(() => decodeMessage(short)).toThrow(WireError);
      }),
    );
  });

  it("decodes random bytes or refuses them with WireError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("separates a closing TSIG record and says where it starts", () => {
    const query = encodeMessage(queryMessage(7, "example.test", RecordType.SOA));
    const key = { name: "k", algorithm: "hmac-sha256" as const, secret: new Uint8Array(32) };
    const decoded = decodeMessage(signRequest(query, key, 1_700_000_000).bytes);
    expect(decoded.message.additionals).toEqual([]);
    expect(decoded.tsig?.offset).toBe(query.length);
    expect(decoded.tsig?.record.data).toMatchObject({
      algorithm: "hmac-sha256",
      timeSigned: 1_700_000_000,
      originalId: 7,
    });
  });

  it("refuses a TSIG record that is not the last one", () => {
    const query = encodeMessage(queryMessage(7, "example.test", RecordType.SOA));
    const key = { name: "k", algorithm: "hmac-sha256" as const, secret: new Uint8Array(32) };
    const signed = decodeMessage(signRequest(query, key, 1).bytes);
    const tsigFirst = {
      ...signed.message,
      additionals: [
        signed.tsig?.record as ResourceRecord,
        { name: "x", type: 1, class: 1, ttl: 0, data: { kind: "address" as const, address: "192.0.2.1" } },
      ],
    };
    expect(() => decodeMessage(encodeMessage(tsigFirst))).toThrow(/TSIG record must be the last/);
  });
});
