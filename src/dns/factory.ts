// The DnsProvider a RegionalApp's spec.dns.provider asks for, talking to the hub (DNSEndpoint,
// TSIG Secret) with the operator's credentials.
import type { KubeConfig } from "@kubernetes/client-node";
import type { RegionalApp } from "../api/types.generated.ts";
import { DnsEndpointProvider } from "./dnsendpoint.ts";
import type { DnsProvider } from "./provider.ts";
import { type Rfc2136Config, Rfc2136Provider } from "./rfc2136.ts";
import { tsigKeyReader } from "./tsig-secret.ts";

/** Transport settings for rfc2136 (tests and benchmarks shorten them); the rest comes from the spec. */
export type Rfc2136Tuning = Pick<Rfc2136Config, "timeoutMs" | "retransmitMs" | "now">;

export function dnsProviderFor(app: RegionalApp, hub: KubeConfig, tuning: Rfc2136Tuning = {}): DnsProvider {
  const { name, namespace, uid } = app.metadata ?? {};
  if (!name || !namespace || !uid)
    throw new Error("a RegionalApp from the API server has a name, namespace and uid");
  const { dnsEndpoint, rfc2136 } = app.spec.dns.provider;
  if (rfc2136) {
    return new Rfc2136Provider({
      server: rfc2136.server,
      zone: rfc2136.zone,
      key: tsigKeyReader(hub, namespace, rfc2136.tsigSecretRef.name),
      ...tuning,
    });
  }
  if (dnsEndpoint) {
    return new DnsEndpointProvider({
      kc: hub,
      app: { name, namespace, uid },
      namespace: dnsEndpoint.namespace ?? namespace,
    });
  }
  // The CRD's validation requires exactly one provider.
  throw new Error(`RegionalApp ${namespace}/${name} names no DNS provider`);
}
