// The checks both providers make before they write, so the two agree on what "already done",
// "someone else changed it" and "a newer failover owns it" mean.
import { Reason } from "../api/reasons.ts";
import { DnsError, type RecordChange } from "./provider.ts";
import { canonicalTargets, describeTargets, sameTargets } from "./targets.ts";

/** What the authoritative source holds now for one hostname and type. */
export interface PublishedRecords {
  targets: string[];
  /** Undefined when there are no records. */
  ttlSeconds: number | undefined;
  /** The epoch of the failover that wrote them, undefined when none recorded it. */
  epoch: number | undefined;
}

/**
 * "done" when the records already are what the change asks, written at its epoch (a repeated
 * apply, e.g. after a crash, changes nothing); "write" otherwise. Refuses when a newer epoch
 * wrote them: the caller's failover has been overtaken and must not undo the newer one.
 */
export function checkBeforeWrite(
  published: PublishedRecords,
  change: RecordChange,
  where: string,
): "done" | "write" {
  const { desired, epoch } = change;
  if (published.epoch !== undefined && published.epoch > epoch) {
    throw new DnsError(
      Reason.EpochTooOld,
      `${desired.hostname} ${desired.recordType} in ${where} was written by epoch ${published.epoch}, newer than this change's epoch ${epoch}: a later failover owns the record, so this one must not overwrite it`,
    );
  }
  const same =
    sameTargets(desired.recordType, published.targets, desired.targets) &&
    published.ttlSeconds === desired.ttlSeconds &&
    published.epoch === epoch;
  return same ? "done" : "write";
}

/** The refusal when the records are not what the change expected: someone else changed them. */
export function recordChangedError(
  change: RecordChange,
  published: PublishedRecords,
  where: string,
): DnsError {
  const { hostname, recordType } = change.desired;
  const found = describeTargets(canonicalTargets(recordType, published.targets));
  const writer =
    published.epoch === undefined ? "" : ` (last written by Meridian at epoch ${published.epoch})`;
  return new DnsError(
    Reason.DnsRecordChanged,
    `${hostname} ${recordType} changed under Meridian: it expected ${describeTargets(canonicalTargets(recordType, change.expectedCurrent))} but ${where} holds ${found}${writer}. Meridian did not overwrite it. Find out who changed it (a person, another tool, a second operator); restore the expected targets to let Meridian proceed`,
  );
}
