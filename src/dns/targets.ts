// Record targets as DNS compares them: two spellings of one address or name are one target.
import type { DesiredRecords } from "./provider.ts";
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes } from "./wire/address.ts";
import { RecordType } from "./wire/constants.ts";
import { normalizeName } from "./wire/name.ts";
import type { RData } from "./wire/rdata.ts";

export type TargetType = DesiredRecords["recordType"];

export const recordTypeCode: Record<TargetType, number> = {
  A: RecordType.A,
  AAAA: RecordType.AAAA,
  CNAME: RecordType.CNAME,
};

/** The one spelling of a target: dotted quad, RFC 5952 IPv6, or a lowercase name without the trailing dot. */
export function canonicalTarget(type: TargetType, target: string): string {
  switch (type) {
    case "A":
      return bytesToIpv4(ipv4ToBytes(target));
    case "AAAA":
      return bytesToIpv6(ipv6ToBytes(target));
    case "CNAME":
      return normalizeName(target);
  }
}

/** Canonical, without duplicates, sorted: the form to compare and to print. */
export function canonicalTargets(type: TargetType, targets: string[]): string[] {
  return [...new Set(targets.map((t) => canonicalTarget(type, t)))].sort();
}

export function sameTargets(type: TargetType, a: string[], b: string[]): boolean {
  const x = canonicalTargets(type, a);
  const y = canonicalTargets(type, b);
  return x.length === y.length && x.every((t, i) => t === y[i]);
}

export function targetRData(type: TargetType, target: string): RData {
  return type === "CNAME" ? { kind: "name", name: target } : { kind: "address", address: target };
}

/** "[a, b]", or "nothing" for no targets: how messages name a record set. */
export const describeTargets = (targets: string[]) =>
  targets.length === 0 ? "nothing" : `[${targets.join(", ")}]`;
