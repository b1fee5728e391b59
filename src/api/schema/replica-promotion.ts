import { ReplicaPromotionCondition } from "../reasons.ts";
import { arr, bool, celFormat, int, num, obj, type Rule, type Schema, str, time } from "./builders.ts";
import { conditions, labelName, localRef, observedGeneration } from "./common.ts";
import { ageColumn, type KindDefinition } from "./kind.ts";

export const promotionTypes = ["Failover", "Switchover", "Drill"] as const;

const promotionType = str({
  description:
    "Failover: the primary has failed; promote the target now, within the policy's lag guard. Switchover: planned; fence the primary, wait for zero lag, then promote, losing nothing. Drill: a switchover to the target and back again, recording the measured RTO.",
  enum: promotionTypes,
  default: "Switchover",
  typeName: "PromotionType",
});

const mutableAfterCreation = new Set(["approved"]);

/**
 * One rule per spec field that may not change after creation, each reported on its own field.
 * Built from the property list so a field added later is immutable unless listed as mutable.
 */
function immutableFields(properties: Record<string, Schema>, required: string[]): Rule[] {
  const alwaysSet = (name: string) => required.includes(name) || properties[name]?.default !== undefined;
  return Object.keys(properties)
    .filter((name) => !mutableAfterCreation.has(name))
    .map((name) => ({
      rule: alwaysSet(name)
        ? `self.${name} == oldSelf.${name}`
        : `has(self.${name}) == has(oldSelf.${name}) && (!has(self.${name}) || self.${name} == oldSelf.${name})`,
      message: `${name} cannot change after creation: a ReplicaPromotion records one promotion; create a new ReplicaPromotion instead`,
      fieldPath: `.${name}`,
      reason: "FieldValueForbidden",
    }));
}

const specProperties: Record<string, Schema> = {
  appRef: localRef("The RegionalApp to promote, in this namespace.", "Name of the RegionalApp."),
  targetRegion: labelName("The region to promote: the name of an entry in the RegionalApp's spec.regions."),
  type: promotionType,
  reason: str({
    description: "Why the promotion happens, in words; kept for the audit trail and shown in Events.",
    maxLength: 1024,
  }),
  allowDataLoss: bool({
    description:
      "Type Failover only: promote even if the target lags beyond the policy's guard, losing the writes it has not received.",
    default: false,
  }),
  dryRun: bool({
    description:
      "Run every check and report in status what would happen, without fencing, promoting or touching DNS.",
    default: false,
  }),
  approved: bool({
    description:
      "Approval to run. Needed when the policy's mode is Manual; the operator's own promotions wait with false until a person sets it to true. The only field that may change after creation, and only from false to true.",
    default: false,
  }),
};
const specRequired = ["appRef", "targetRegion"];

const spec = obj(specProperties, {
  description:
    "What to promote, where and why. Immutable once created, except approved: one object records one promotion.",
  required: specRequired,
  typeName: "ReplicaPromotionSpec",
  rules: [
    {
      rule: "!self.allowDataLoss || self.type == 'Failover'",
      messageExpression: celFormat(
        "allowDataLoss applies to type Failover only: a %s waits for the replica to catch up and loses nothing; remove allowDataLoss or use type Failover",
        ["self.type"],
      ),
      fieldPath: ".allowDataLoss",
    },
    ...immutableFields(specProperties, specRequired),
    {
      rule: "!oldSelf.approved || self.approved",
      message:
        "approved cannot go back to false: the promotion may already be running, and the approval stays on record",
      fieldPath: ".approved",
      reason: "FieldValueForbidden",
    },
  ],
});

const step = obj(
  {
    name: str({
      description: "The step, e.g. Fence, Promote, Reroute, Verify.",
      minLength: 1,
      maxLength: 63,
    }),
    startedAt: time({ description: "When the step started." }),
    completedAt: time({ description: "When the step finished; unset while it runs." }),
    message: str({ description: "What the step did or why it failed.", maxLength: 4096 }),
  },
  { description: "One step of the promotion.", required: ["name"], typeName: "PromotionStep" },
);

const status = obj(
  {
    observedGeneration,
    phase: str({
      description:
        "Where the promotion is: Pending → Fencing → Promoting → Rerouting → Verifying → Succeeded, or Failed / Aborted. Each step is idempotent, so a restarted operator resumes from here.",
      enum: ["Pending", "Fencing", "Promoting", "Rerouting", "Verifying", "Succeeded", "Failed", "Aborted"],
      typeName: "PromotionPhase",
    }),
    epoch: int({
      description:
        "The fencing token of this promotion: one more than the app's epoch before it. Any actor holding an older epoch is refused.",
      min: 0,
      format: "int64",
    }),
    fromRegion: labelName("The region that was primary when the promotion started."),
    steps: arr(step, {
      description: "The steps taken so far, in order, with timestamps.",
      maxItems: 32,
    }),
    rtoSeconds: num({
      description:
        "Measured recovery time: seconds from the start of the promotion until the new primary took writes.",
      min: 0,
    }),
    lagBytesAtPromotion: int({
      description: "How far the promoted replica was behind the old primary, in bytes, when it was promoted.",
      min: 0,
      format: "int64",
    }),
    oldPrimaryLsn: str({
      description:
        "WAL position of the old primary once it was fenced (postgresql engine); a switchover promotes only after the target has replayed up to it.",
      maxLength: 32,
    }),
    targetReplicas: int({
      description:
        "Replicas the old primary's workload ran before it was fenced: the size the target's workload is scaled up to before traffic moves.",
      min: 0,
    }),
    conditions: conditions(Object.values(ReplicaPromotionCondition)),
  },
  { description: "The promotion's progress, written by the operator.", typeName: "ReplicaPromotionStatus" },
);

export const replicaPromotion: KindDefinition = {
  kind: "ReplicaPromotion",
  plural: "replicapromotions",
  singular: "replicapromotion",
  shortNames: ["rp"],
  scope: "Namespaced",
  description:
    "One failover, switchover or drill of a RegionalApp, as an object. The operator creates one for every automatic failover (the audit trail); a person or GitOps creates one for a planned switchover or a drill.",
  spec,
  status,
  printerColumns: [
    { name: "App", type: "string", jsonPath: ".spec.appRef.name", description: "The RegionalApp promoted." },
    {
      name: "From",
      type: "string",
      jsonPath: ".status.fromRegion",
      description: "The region that was primary.",
    },
    { name: "To", type: "string", jsonPath: ".spec.targetRegion", description: "The region promoted." },
    {
      name: "Type",
      type: "string",
      jsonPath: ".spec.type",
      description: "Failover, Switchover or Drill.",
      priority: 1,
    },
    { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Where the promotion is." },
    {
      name: "RTO",
      type: "number",
      jsonPath: ".status.rtoSeconds",
      description: "Measured recovery time in seconds.",
    },
    ageColumn,
  ],
};
