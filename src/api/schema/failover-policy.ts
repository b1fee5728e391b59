import { FailoverPolicyCondition } from "../reasons.ts";
import { arr, bool, celFormat, int, obj, str } from "./builders.ts";
import { conditions, labelName, observedGeneration } from "./common.ts";
import { ageColumn, conditionColumn, type KindDefinition } from "./kind.ts";

const oneHour = 3600;
const oneDay = 86400;

const healthCheck = obj(
  {
    intervalSeconds: int({
      description: "How often each region is probed. Detection time is failureThreshold × intervalSeconds.",
      min: 1,
      max: 300,
      default: 2,
    }),
    timeoutSeconds: int({
      description: "How long one probe may take before it counts as a failure. At most intervalSeconds.",
      min: 1,
      max: 300,
      default: 1,
    }),
    failureThreshold: int({
      description: "Consecutive failed probes after which a region is Unhealthy.",
      min: 1,
      max: 100,
      default: 3,
    }),
    successThreshold: int({
      description: "Consecutive successful probes after which an Unhealthy region is Healthy again.",
      min: 1,
      max: 100,
      default: 2,
    }),
  },
  {
    description: "How region health is probed and when a region counts as failed.",
    defaulted: true,
    typeName: "HealthCheck",
    rules: [
      {
        rule: "self.timeoutSeconds <= self.intervalSeconds",
        messageExpression: celFormat(
          "timeoutSeconds (%d) must not exceed intervalSeconds (%d): a probe has to finish before the next one starts; lower timeoutSeconds or raise intervalSeconds",
          ["self.timeoutSeconds", "self.intervalSeconds"],
        ),
        fieldPath: ".timeoutSeconds",
      },
    ],
  },
);

const fencing = obj(
  {
    leaseDurationSeconds: int({
      description:
        "How long the primary region's Lease stays valid after its last renewal. When the old primary is unreachable, Meridian waits this long (plus a clock-skew margin) before promoting another region.",
      min: 1,
      max: oneHour,
      default: 15,
    }),
    renewDeadlineSeconds: int({
      description:
        "The agent in the primary region fences its own region when the Lease has not been renewed for this long. Must be less than leaseDurationSeconds, so the old primary stops before anyone else may start.",
      min: 1,
      max: oneHour,
      default: 10,
    }),
    retryPeriodSeconds: int({
      description: "How often the hub renews the Lease. renewDeadlineSeconds must exceed 1.2 × this.",
      min: 1,
      max: oneHour,
      default: 2,
    }),
    action: str({
      description:
        "How a fenced region stops taking writes: ScaleToZero scales the app's workload to zero replicas; DatabaseReadOnly makes the database refuse writes and keeps the app serving reads; ScaleToZeroAndDatabaseReadOnly does both.",
      enum: ["ScaleToZero", "DatabaseReadOnly", "ScaleToZeroAndDatabaseReadOnly"],
      default: "ScaleToZero",
      typeName: "FencingAction",
    }),
  },
  {
    description:
      "Lease-based fencing of the primary region, which keeps two regions from taking writes at once.",
    defaulted: true,
    typeName: "Fencing",
    rules: [
      {
        rule: "self.renewDeadlineSeconds < self.leaseDurationSeconds",
        messageExpression: celFormat(
          "renewDeadlineSeconds (%d) must be less than leaseDurationSeconds (%d): the old primary has to fence itself before its Lease expires and another region may be promoted",
          ["self.renewDeadlineSeconds", "self.leaseDurationSeconds"],
        ),
        fieldPath: ".renewDeadlineSeconds",
      },
      {
        // 1.2 × retry without floating point: renew × 5 > retry × 6.
        rule: "self.renewDeadlineSeconds * 5 > self.retryPeriodSeconds * 6",
        messageExpression: celFormat(
          "renewDeadlineSeconds (%d) must be more than 1.2 * retryPeriodSeconds (%d): the hub needs room for a retry before the deadline; lower retryPeriodSeconds or raise renewDeadlineSeconds",
          ["self.renewDeadlineSeconds", "self.retryPeriodSeconds"],
        ),
        fieldPath: ".renewDeadlineSeconds",
      },
    ],
  },
);

const promotion = obj(
  {
    maxLagBytes: int({
      description:
        "A replica more than this many bytes of WAL behind the primary is not promoted by a failover (unless allowDataLoss). A planned switchover always waits for zero lag.",
      min: 0,
      default: 1048576,
      format: "int64",
    }),
    maxLagSeconds: int({
      description:
        "Optional second guard: a failover does not promote a replica that is behind the fenced primary's final position and whose last replayed transaction is older than this many seconds, by the replica server's own clock (unless allowDataLoss). A replica that has replayed everything passes, however long ago the last write was. Checked when promoting; an engine that cannot report the replay age fails the guard.",
      min: 0,
      max: oneDay,
    }),
    allowDataLoss: bool({
      description:
        "Promote a replica even when it lags beyond the guard, losing the writes it has not received. The estimate of the loss is recorded in the RegionalApp's status.lastFailover.",
      default: false,
    }),
    timeoutSeconds: int({
      description: "How long the promotion step may take before the ReplicaPromotion fails.",
      min: 1,
      max: oneHour,
      default: 60,
    }),
  },
  {
    description: "The guard that keeps a failover from promoting a replica that would lose too much data.",
    defaulted: true,
    typeName: "PromotionGuard",
  },
);

const dns = obj(
  {
    ttlSeconds: int({
      description:
        "TTL of the DNS records Meridian writes. Clients may keep using the old region for up to this long after a failover.",
      min: 1,
      max: oneDay,
      default: 30,
    }),
  },
  { description: "How Meridian writes DNS records.", defaulted: true, typeName: "PolicyDns" },
);

const failback = obj(
  {
    mode: str({
      description:
        "Manual: after a failover the app stays in its new region until you change spec.primaryRegion. Automatic (not implemented yet, rejected): it will return to its preferred region once that region has been healthy for stabilizationSeconds.",
      enum: ["Manual", "Automatic"],
      default: "Manual",
      typeName: "FailbackMode",
    }),
    stabilizationSeconds: int({
      description:
        "With mode Automatic: how long the preferred region must stay healthy before the app moves back.",
      min: 0,
      max: oneDay,
      default: 300,
    }),
  },
  {
    description: "Whether and when an app returns to its preferred region after a failover.",
    defaulted: true,
    typeName: "Failback",
    rules: [
      {
        // Invariant 12: a value the API accepts is implemented. Until automatic failback exists
        // (stabilization plus a replica within the lag guard), Manual is the only mode.
        rule: "self.mode != 'Automatic'",
        message:
          "failback.mode Automatic is not implemented yet; use Manual (after a failover, set spec.primaryRegion in Git to accept the new primary or to move the app back)",
        fieldPath: ".mode",
      },
    ],
  },
);

const spec = obj(
  {
    mode: str({
      description:
        "Automatic: Meridian fails over on its own when the primary region fails. Manual: it creates a ReplicaPromotion that waits until a person sets spec.approved to true.",
      enum: ["Automatic", "Manual"],
      default: "Automatic",
      typeName: "FailoverMode",
    }),
    healthCheck,
    fencing,
    promotion,
    dns,
    failback,
    minSecondsBetweenFailovers: int({
      description:
        "Anti-flapping: no automatic failover starts within this many seconds of the previous one; the app stays put and reports why.",
      min: 0,
      max: 7 * oneDay,
      default: 600,
    }),
    minHealthyRegions: int({
      description:
        "An automatic failover happens only while at least this many regions (the target included) are healthy.",
      min: 1,
      max: 16,
      default: 1,
    }),
    allowedJurisdictions: arr(labelName("A jurisdiction, as in MemberCluster spec.jurisdiction."), {
      description:
        "Data residency: when set, an app never fails over into a cluster whose jurisdiction is not listed. Unset: no restriction.",
      maxItems: 16,
      listType: "set",
    }),
  },
  {
    description: "The failover rules. Every field has a default, so an empty spec is a complete policy.",
    defaulted: true,
    typeName: "FailoverPolicySpec",
  },
);

const status = obj(
  {
    observedGeneration,
    conditions: conditions(Object.values(FailoverPolicyCondition)),
  },
  { description: "What the operator last observed about the policy.", typeName: "FailoverPolicyStatus" },
);

export const failoverPolicy: KindDefinition = {
  kind: "FailoverPolicy",
  plural: "failoverpolicies",
  singular: "failoverpolicy",
  shortNames: ["fp"],
  scope: "Namespaced",
  description:
    "Reusable failover rules for RegionalApps in its namespace: health checking, fencing, the data-loss guard, DNS TTL, failback, anti-flapping and data residency.",
  spec,
  status,
  printerColumns: [
    { name: "Mode", type: "string", jsonPath: ".spec.mode", description: "Automatic or Manual failover." },
    {
      name: "Failback",
      type: "string",
      jsonPath: ".spec.failback.mode",
      description: "Manual or Automatic failback.",
    },
    conditionColumn(FailoverPolicyCondition.Ready, "Whether the operator uses the policy."),
    ageColumn,
  ],
};
