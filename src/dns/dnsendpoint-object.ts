// The ExternalDNS DNSEndpoint (externaldns.k8s.io/v1alpha1) that carries one RegionalApp's
// record: its name, the manifest Meridian applies, and what a live object says is published.
import { apiVersion as meridianApiVersion } from "../api/group.ts";
import type { PublishedRecords } from "./change-guard.ts";
import type { DesiredRecords } from "./provider.ts";
import { canonicalTargets } from "./targets.ts";
import { normalizeName } from "./wire/name.ts";

export const dnsEndpointResource = {
  group: "externaldns.k8s.io",
  version: "v1alpha1",
  plural: "dnsendpoints",
  kind: "DNSEndpoint",
} as const;

/** Which RegionalApp a DNSEndpoint belongs to, as namespace/name. */
export const appAnnotation = "meridian.dev/app";
/** The epoch of the failover that last wrote the record (see epoch-record.ts). */
export const epochAnnotation = "meridian.dev/epoch";

export interface OwnerApp {
  name: string;
  namespace: string;
  uid: string;
}

export interface DnsEndpointEntry {
  dnsName: string;
  recordType: string;
  targets?: string[];
  recordTTL?: number;
}

export interface DnsEndpointObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: object[];
  };
  spec?: { endpoints?: DnsEndpointEntry[] };
  status?: { observedGeneration?: number };
}

/**
 * meridian-<app> beside the app; in another namespace the app's namespace is part of the name,
 * so two apps of one name in different namespaces do not collide.
 */
export function dnsEndpointName(app: OwnerApp, namespace: string): string {
  return namespace === app.namespace ? `meridian-${app.name}` : `meridian-${app.namespace}-${app.name}`;
}

export const appIdentity = (app: OwnerApp) => `${app.namespace}/${app.name}`;

/**
 * The object to server-side apply. In the app's namespace it is owned by the RegionalApp, so
 * deleting the app deletes it; Kubernetes allows no owner in another namespace.
 */
export function dnsEndpointManifest(
  app: OwnerApp,
  namespace: string,
  records: DesiredRecords | undefined,
  epoch: number | undefined,
): DnsEndpointObject {
  const endpoints: DnsEndpointEntry[] = records
    ? [
        {
          dnsName: normalizeName(records.hostname),
          recordType: records.recordType,
          targets: canonicalTargets(records.recordType, records.targets),
          recordTTL: records.ttlSeconds,
        },
      ]
    : [];
  return {
    apiVersion: `${dnsEndpointResource.group}/${dnsEndpointResource.version}`,
    kind: dnsEndpointResource.kind,
    metadata: {
      name: dnsEndpointName(app, namespace),
      namespace,
      labels: { "app.kubernetes.io/managed-by": "meridian" },
      annotations: {
        [appAnnotation]: appIdentity(app),
        ...(epoch === undefined ? {} : { [epochAnnotation]: String(epoch) }),
      },
      ...(namespace === app.namespace
        ? {
            ownerReferences: [
              {
                apiVersion: meridianApiVersion,
                kind: "RegionalApp",
                name: app.name,
                uid: app.uid,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: { endpoints },
  };
}

/** The records a live DNSEndpoint publishes for one hostname and type. */
export function publishedIn(
  obj: DnsEndpointObject | undefined,
  hostname: string,
  recordType: DesiredRecords["recordType"],
): PublishedRecords {
  const entry = obj?.spec?.endpoints?.find(
    (e) => e.recordType === recordType && normalizeName(e.dnsName) === normalizeName(hostname),
  );
  const epochText = obj?.metadata.annotations?.[epochAnnotation];
  return {
    targets: entry?.targets ?? [],
    ttlSeconds: entry?.targets?.length ? entry.recordTTL : undefined,
    epoch: epochText !== undefined && /^\d+$/.test(epochText) ? Number(epochText) : undefined,
  };
}
