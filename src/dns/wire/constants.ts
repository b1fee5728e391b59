// Numbers from the DNS registries (RFC 1035, 2136, 3596, 8945) that Meridian's messages use.
// Const objects rather than `enum` (erasableSyntaxOnly).

export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  TXT: 16,
  AAAA: 28,
  TSIG: 250,
} as const;

export const RecordClass = {
  IN: 1,
  /** RFC 2136: "delete this RR" in the update section, "RRset does not exist" as a prerequisite. */
  NONE: 254,
  /** RFC 2136: "delete the RRset" in the update section, "RRset exists" as a prerequisite; TSIG's class. */
  ANY: 255,
} as const;

export const Opcode = { QUERY: 0, UPDATE: 5 } as const;

/** Header RCODEs (4 bits). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
} as const;

/** The TSIG RR's Error field (RFC 8945 section 4.2). */
export const TsigError = {
  NOERROR: 0,
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADTRUNC: 22,
} as const;

/** The name of a registry number, e.g. rcodeName(8) === "NXRRSET", for messages; the number when unknown. */
export function nameOf(registry: Record<string, number>, value: number): string {
  return Object.entries(registry).find(([, v]) => v === value)?.[0] ?? String(value);
}
