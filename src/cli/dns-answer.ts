// The DNS answer for an app's hostname, from the source Meridian itself writes: the authoritative
// server (rfc2136, a TSIG-signed query with the app's key) or the DNSEndpoint's targets (ExternalDNS
// publishes them at its next sync). A resolver's cached answer would say less.
import type { RegionalApp } from "../api/types.generated.ts";
import { dnsProviderFor } from "../dns/factory.ts";
import type { Hub } from "./kube.ts";
import { paint } from "./style.ts";

export interface DnsAnswer {
  hostname: string;
  recordType: string;
  /** Where the answer came from, in words. */
  source: string;
  targets?: string[];
  /** Why there is no answer. */
  error?: string;
}

export function dnsSource(app: RegionalApp): string {
  const { rfc2136, dnsEndpoint } = app.spec.dns.provider;
  if (rfc2136) return `authoritative server ${rfc2136.server}`;
  return `DNSEndpoint in namespace ${dnsEndpoint?.namespace ?? app.metadata?.namespace}`;
}

export async function readDnsAnswer(hub: Hub, app: RegionalApp): Promise<DnsAnswer> {
  const { hostname, recordType } = app.spec.dns;
  const base = { hostname, recordType, source: dnsSource(app) };
  try {
    const provider = dnsProviderFor(app, hub.kc, { timeoutMs: 2000, retransmitMs: 400 });
    return { ...base, targets: await provider.current(hostname, recordType) };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  }
}

/** "checkout.example.test A → 203.0.113.20 (eu-west)  [authoritative server 127.0.0.1:5353]". */
export function formatDnsAnswer(a: DnsAnswer, app: RegionalApp, color: boolean): string {
  const regionOf = (t: string) =>
    app.spec.regions.find((r) => r.endpoint.toLowerCase() === t.toLowerCase())?.name;
  const answer =
    a.error !== undefined
      ? paint(color, "warn", `unknown (${a.error})`)
      : a.targets?.length
        ? a.targets.map((t) => `${t} (${regionOf(t) ?? "no region"})`).join(", ")
        : "no records";
  return `${a.hostname} ${a.recordType} → ${answer}  ${paint(color, "dim", `[${a.source}]`)}`;
}
