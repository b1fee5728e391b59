// The DNS UPDATE that moves a hostname to new targets, as one atomic compare-and-swap (RFC 2136):
// its prerequisites say what the server must hold now (the targets we expect and the epoch
// record we read), its update section replaces both RRsets. If anyone changed either in the
// meantime the server answers NXRRSET or YXRRSET and changes nothing.
import { epochRecordName, epochText } from "./epoch-record.ts";
import type { DesiredRecords } from "./provider.ts";
import { canonicalTargets, recordTypeCode, targetRData } from "./targets.ts";
import { RecordClass, RecordType } from "./wire/constants.ts";
import { type Message, type ResourceRecord, updateMessage } from "./wire/message.ts";
import type { RData } from "./wire/rdata.ts";

export interface UpdateInputs {
  zone: string;
  desired: DesiredRecords;
  /** The targets the server must hold now; none means the RRset must not exist. */
  expectedCurrent: string[];
  /** The epoch TXT RRset as read just before, one string list per record; empty when there is none. */
  publishedEpochRecords: string[][];
  epoch: number;
}

const empty: RData = { kind: "empty" };

/**
 * RFC 2136 section 2.4: "RRset exists (value dependent)" when we expect records, with every one of
 * them (the server compares whole sets), else "RRset does not exist".
 */
function expectRRset(name: string, type: number, values: RData[]): ResourceRecord[] {
  if (values.length === 0) return [{ name, type, class: RecordClass.NONE, ttl: 0, data: empty }];
  return values.map((data) => ({ name, type, class: RecordClass.IN, ttl: 0, data }));
}

/** Section 2.5: delete the RRset (class ANY), then add each new record. */
function replaceRRset(name: string, type: number, ttl: number, values: RData[]): ResourceRecord[] {
  return [
    { name, type, class: RecordClass.ANY, ttl: 0, data: empty },
    ...values.map((data) => ({ name, type, class: RecordClass.IN, ttl, data })),
  ];
}

export function buildUpdate(id: number, u: UpdateInputs): Message {
  const { hostname, recordType, ttlSeconds } = u.desired;
  const type = recordTypeCode[recordType];
  const epochName = epochRecordName(hostname);
  const rdata = (targets: string[]) =>
    canonicalTargets(recordType, targets).map((t) => targetRData(recordType, t));
  const txt = (strings: string[]): RData => ({ kind: "txt", strings });
  return updateMessage(
    id,
    u.zone,
    [
      ...expectRRset(hostname, type, rdata(u.expectedCurrent)),
      ...expectRRset(epochName, RecordType.TXT, u.publishedEpochRecords.map(txt)),
    ],
    [
      ...replaceRRset(hostname, type, ttlSeconds, rdata(u.desired.targets)),
      ...replaceRRset(epochName, RecordType.TXT, ttlSeconds, [txt([epochText(u.epoch)])]),
    ],
  );
}
