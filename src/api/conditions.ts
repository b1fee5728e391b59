// Helpers for status.conditions in the metav1.Condition shape that kubectl wait, Argo CD, Flux
// and kstatus read.
import type { ConditionType, Reason } from "./reasons.ts";
import type { Condition, ConditionStatus } from "./types.generated.ts";

/** What a controller decides about one condition; the helper adds the bookkeeping. */
export interface ConditionUpdate {
  type: ConditionType;
  status: ConditionStatus;
  reason: Reason;
  message: string;
  /** metadata.generation of the object the decision was made from. */
  observedGeneration: number;
}

/** metav1.Time has whole seconds; a timestamp with milliseconds would never compare equal after a round trip. */
export function conditionTime(now: Date): string {
  return new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns `conditions` with `update` applied. lastTransitionTime becomes `now` only when the
 * condition is new or its status flips; a new reason, message or generation keeps the old time.
 * When nothing changes, the very same array comes back, so callers can skip the status write.
 */
export function setCondition(
  conditions: Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const current = conditions ?? [];
  const existing = findCondition(current, update.type);
  const next: Condition = {
    ...update,
    lastTransitionTime:
      existing && existing.status === update.status ? existing.lastTransitionTime : conditionTime(now),
  };
  if (existing && sameCondition(existing, next)) return current;
  return existing ? current.map((c) => (c === existing ? next : c)) : [...current, next];
}

function sameCondition(a: Condition, b: Condition): boolean {
  return (
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration &&
    a.lastTransitionTime === b.lastTransitionTime
  );
}

/**
 * Where the controller stands with an object's spec, as kstatus reads it: `Reconciling` (working
 * on it: kstatus InProgress), `Stalled` (cannot get there without a person: kstatus Failed), or
 * `Done` (the spec is realized: Current, or whatever Ready then says).
 */
export interface Progress {
  state: "Reconciling" | "Stalled" | "Done";
  reason: Reason;
  message: string;
}

/**
 * Sets the Reconciling and Stalled conditions from one verdict, so they are never both True. Both
 * stay present (False when not in that state) with the verdict's reason and message, so
 * `kubectl get -o yaml` always says where the object stands and when that last changed.
 */
export function setProgress(
  conditions: Condition[] | undefined,
  progress: Progress,
  observedGeneration: number,
  now: Date,
): Condition[] {
  const { state, reason, message } = progress;
  const status = (s: Progress["state"]): ConditionStatus => (state === s ? "True" : "False");
  const reconciling = setCondition(
    conditions,
    { type: "Reconciling", status: status("Reconciling"), reason, message, observedGeneration },
    now,
  );
  return setCondition(
    reconciling,
    { type: "Stalled", status: status("Stalled"), reason, message, observedGeneration },
    now,
  );
}
