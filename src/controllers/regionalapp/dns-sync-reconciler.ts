import { apiVersion } from "../../api/group.ts";
import { Reason } from "../../api/reasons.ts";
import type { FailoverPolicy, RegionalApp, ReplicaPromotion } from "../../api/types.generated.ts";
import type { DnsProvider } from "../../dns/provider.ts";
import { DnsError } from "../../dns/provider.ts";
import type { ReconcileContext, Reconciler } from "../../runtime/controller.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import { splitKey } from "../../runtime/keys.ts";
import type { DnsSync, RegionVerdicts } from "./dns-sync.ts";
import { activePromotions } from "./promotions.ts";

export interface DnsSyncDeps {
  apps: Informer<RegionalApp>;
  policies: Informer<FailoverPolicy>;
  promotions: Informer<ReplicaPromotion>;
  events: EventRecorder<Reason>;
  dnsSync: DnsSync;
  /** The health reconciler's current verdicts of the app's regions; undefined before the first. */
  health(appKey: string): RegionVerdicts | undefined;
  dnsFor(app: RegionalApp): DnsProvider;
  now?: () => number;
}

/**
 * DNS between failovers, on a queue of its own: the health reconciler hands an app over when its
 * records need a change or a re-read, so a slow or unreachable DNS server (seconds per request)
 * delays only DNS, never the observation of every app. A failure is reported as an Event and
 * retried an interval later; it never touches health checking.
 */
export class DnsSyncReconciler implements Reconciler {
  readonly name = "regionalapp-dns";
  private readonly deps: DnsSyncDeps;

  constructor(deps: DnsSyncDeps) {
    this.deps = deps;
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<{ requeueAfterMs: number } | undefined> {
    const { name, namespace = "" } = splitKey(key);
    const app = this.deps.apps.get(name, namespace);
    if (!app) {
      this.deps.dnsSync.forget(key);
      return undefined;
    }
    const policy = this.deps.policies.get(app.spec.policyRef.name, namespace);
    const healthy = this.deps.health(key);
    // During a promotion the Rerouting step owns DNS; afterwards the health reconciler hands it back.
    if (!policy || !healthy || activePromotions(this.deps.promotions, app).length > 0) return undefined;
    if (ctx.signal.aborted) return undefined;
    const primary = app.status?.currentPrimary ?? app.spec.primaryRegion;
    try {
      const now = (this.deps.now ?? Date.now)();
      await this.deps.dnsSync.sync(key, app, policy, primary, healthy, () => this.deps.dnsFor(app), now);
      return undefined;
    } catch (err) {
      this.deps.dnsSync.forget(key); // read the published records again next time
      const message = err instanceof Error ? err.message : String(err);
      ctx.log.warn({ err: message }, "could not publish DNS records");
      const reason = err instanceof DnsError ? (err.reason as Reason) : Reason.DnsPublishFailed;
      const subject = { apiVersion, kind: "RegionalApp", name, namespace, uid: app.metadata?.uid };
      await this.deps.events.record(subject, "Warning", reason, "PublishDns", message);
      return { requeueAfterMs: policy.spec.healthCheck.intervalSeconds * 1000 };
    }
  }
}
