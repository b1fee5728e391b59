// Shapes shared by several kinds: Kubernetes names, object references, metav1.Condition.
import { arr, int, obj, type Schema, str, time } from "./builders.ts";

/** RFC 1123 label: what Kubernetes accepts as a namespace name, and what Meridian uses for region names. */
export const dnsLabelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/** RFC 1123 subdomain: what Kubernetes accepts as most object names. */
export const dnsSubdomainPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/** metav1.Condition's rule for `reason`: CamelCase, no spaces. */
export const conditionReasonPattern = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";
const conditionTypePattern =
  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$";

export function labelName(description: string): Schema {
  return str({ description, pattern: dnsLabelPattern, minLength: 1, maxLength: 63 });
}

export function objectName(description: string): Schema {
  return str({ description, pattern: dnsSubdomainPattern, minLength: 1, maxLength: 253 });
}

/** A reference to an object in the referrer's own namespace. */
export function localRef(description: string, nameDescription: string): Schema {
  return obj({ name: objectName(nameDescription) }, { description, required: ["name"] });
}

export const observedGeneration = int({
  description:
    "The metadata.generation this status was computed from. When it is lower than metadata.generation, the operator has not yet acted on the latest spec.",
  min: 0,
  format: "int64",
});

const condition = obj(
  {
    type: str({
      description: "Type of condition in CamelCase, e.g. Ready.",
      pattern: conditionTypePattern,
      maxLength: 316,
    }),
    status: str({
      description: "Status of the condition: True, False or Unknown.",
      enum: ["True", "False", "Unknown"],
      typeName: "ConditionStatus",
    }),
    observedGeneration: int({
      description:
        "The metadata.generation the condition was set for. When it is lower than metadata.generation, the condition is out of date.",
      min: 0,
      format: "int64",
    }),
    lastTransitionTime: time({
      description: "When the condition last changed from one status to another.",
    }),
    reason: str({
      description:
        "Machine-readable CamelCase reason for the condition's last transition; tools and alerts match on it.",
      pattern: conditionReasonPattern,
      minLength: 1,
      maxLength: 1024,
    }),
    message: str({
      description: "Human-readable details about the transition. May be empty.",
      maxLength: 32768,
    }),
  },
  {
    description: "One aspect of the object's state, in the standard metav1.Condition shape.",
    required: ["type", "status", "lastTransitionTime", "reason", "message"],
    typeName: "Condition",
  },
);

/** `status.conditions`, keyed by type so server-side apply merges each condition on its own. */
export function conditions(types: readonly string[]): Schema {
  return arr(condition, {
    description: `Current state of the object as standard conditions (read by kubectl wait, Argo CD, Flux and kstatus). Types: ${types.join(", ")}.`,
    maxItems: 32,
    listType: "map",
    listMapKeys: ["type"],
  });
}
