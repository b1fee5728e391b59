import type { KubeConfig } from "@kubernetes/client-node";
import type { Reason } from "../api/reasons.ts";
import type { FailoverPolicy, MemberCluster, RegionalApp, ReplicaPromotion } from "../api/types.generated.ts";
import type { ClusterRegistry } from "../clusters/registry.ts";
import type { DnsProvider } from "../dns/provider.ts";
import type { Promoter } from "../promotion/promoter.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { Informer } from "../runtime/informer.ts";
import type { StatusWriter } from "../runtime/status-writer.ts";

/** What the RegionalApp and ReplicaPromotion controllers share: the hub, its caches and the adapters. */
export interface FailoverControllerDeps {
  hub: KubeConfig;
  promotions: Informer<ReplicaPromotion>;
  apps: Informer<RegionalApp>;
  policies: Informer<FailoverPolicy>;
  clusters: Informer<MemberCluster>;
  registry: ClusterRegistry;
  status: StatusWriter;
  events: EventRecorder<Reason>;
  /** The Promoter of spec.database.engine; undefined for `none` (no database to move). */
  promoterFor(engine: string): Promoter | undefined;
  /** The DnsProvider the app's spec.dns.provider selects. */
  dnsFor(app: RegionalApp): DnsProvider;
  now?: () => number;
}
