import { findCondition, setCondition, setProgress } from "../../api/conditions.ts";
import { apiVersion, group, version } from "../../api/group.ts";
import { FailoverPolicyCondition, Reason } from "../../api/reasons.ts";
import type { FailoverPolicy, MemberCluster } from "../../api/types.generated.ts";
import type { ReconcileContext, Reconciler } from "../../runtime/controller.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import { splitKey } from "../../runtime/keys.ts";
import type { StatusWriter } from "../../runtime/status-writer.ts";
import { type PolicyReview, reviewPolicy } from "./review.ts";

export interface FailoverPolicyDeps {
  policies: Informer<FailoverPolicy>;
  clusters: Informer<MemberCluster>;
  status: StatusWriter;
  events: EventRecorder<Reason>;
  probeIntervalMs: number;
  now?: () => Date;
}

const failoverPolicyResource = { group, version, kind: "FailoverPolicy", plural: "failoverpolicies" };

/**
 * Sets a FailoverPolicy's Ready condition from `reviewPolicy`: True (PolicyValid or, with the
 * warnings in the message, PolicyValidWithWarnings) or False (PolicyInvalid, naming the field and
 * the fix). An Event marks each change of verdict. The policy is re-reviewed when MemberClusters
 * change, since some findings depend on them.
 */
export class FailoverPolicyReconciler implements Reconciler {
  readonly name = "failoverpolicy";
  private readonly deps: FailoverPolicyDeps;

  constructor(deps: FailoverPolicyDeps) {
    this.deps = deps;
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<undefined> {
    const { name, namespace } = splitKey(key);
    const policy = this.deps.policies.get(name, namespace);
    if (!policy) return undefined;
    const review = reviewPolicy(policy.spec, {
      probeIntervalMs: this.deps.probeIntervalMs,
      clusterJurisdictions: this.deps.clusters.list().map((mc) => mc.spec.jurisdiction),
    });
    const verdict = verdictOf(review);
    const now = (this.deps.now ?? (() => new Date()))();
    const generation = policy.metadata?.generation ?? 0;
    const before = policy.status?.conditions;
    const ready = setCondition(
      before,
      { type: FailoverPolicyCondition.Ready, observedGeneration: generation, ...verdict },
      now,
    );
    // An invalid policy needs a person: Stalled, so a kstatus wait ends with the reason.
    const state = verdict.status === "True" ? "Done" : "Stalled";
    const conditions = setProgress(
      ready,
      { state, reason: verdict.reason, message: verdict.message },
      generation,
      now,
    );
    if (ctx.signal.aborted) return undefined; // no longer the leader
    const unchanged = conditions === before && policy.status?.observedGeneration === generation;
    if (unchanged) return undefined;
    await this.deps.status.apply(
      { ...failoverPolicyResource, name, namespace },
      { observedGeneration: generation, conditions },
    );
    const was = findCondition(before, FailoverPolicyCondition.Ready);
    if (was?.reason !== verdict.reason || was.message !== verdict.message) {
      const subject = { apiVersion, kind: "FailoverPolicy", name, namespace, uid: policy.metadata?.uid };
      const type = verdict.reason === Reason.PolicyValid ? "Normal" : "Warning";
      await this.deps.events.record(subject, type, verdict.reason, "Review", verdict.message);
      ctx.log.info({ ready: verdict.status, reason: verdict.reason }, verdict.message);
    }
    return undefined;
  }
}

function verdictOf({ errors, warnings }: PolicyReview) {
  if (errors.length > 0) {
    return { status: "False" as const, reason: Reason.PolicyInvalid, message: join(errors) };
  }
  if (warnings.length > 0) {
    return { status: "True" as const, reason: Reason.PolicyValidWithWarnings, message: join(warnings) };
  }
  return {
    status: "True" as const,
    reason: Reason.PolicyValid,
    message: "the policy is consistent and in use",
  };
}

function join(findings: readonly { message: string }[]): string {
  return findings.map((f) => f.message).join("; ");
}
