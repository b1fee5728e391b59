import { Reason } from "../../api/reasons.ts";
import type { FailoverPolicy, RegionalApp } from "../../api/types.generated.ts";
import { ttlWarning } from "../../dns/desired-records.ts";
import type { DnsProvider } from "../../dns/provider.ts";

export interface DnsVerdict {
  /** False when a failover could not reroute right now. */
  usable: boolean;
  status: "True" | "False";
  reason: Reason;
  message: string;
}

/** How long a passed pre-flight is reused; a failed one is retried after `retryMs`. */
const refreshMs = 30_000;
const retryMs = 2_000;

type Result = { ok: boolean; reason: string; message: string };

/**
 * The DNS part of pre-flight: can the provider change the records right now (rfc2136: server
 * reachable and the TSIG key accepted; dnsEndpoint: DNSEndpoints in the namespace writable), and
 * does the policy's TTL keep client failover fast.
 *
 * Checked once per provider (its settings in the app's namespace), not per app: every app on one
 * DNS server and key shares the answer, so 1,000 apps cost one check every 30 s. The check runs in
 * the background and a reconcile reads the last answer, so a DNS server that does not answer never
 * stalls health checking; until the first answer there is no verdict (DnsReady stays unset).
 * A DNSEndpoint owned by someone else is app-specific: the app's DNS sync reports it.
 */
export class DnsPreflight {
  private readonly checks = new Map<string, { at: number; result: Result | undefined; running: boolean }>();

  check(
    app: RegionalApp,
    policy: FailoverPolicy,
    provider: () => DnsProvider,
    nowMs: number,
  ): DnsVerdict | undefined {
    const scope = `${app.metadata?.namespace ?? ""} ${JSON.stringify(app.spec.dns.provider)}`;
    let entry = this.checks.get(scope);
    if (!entry) {
      entry = { at: Number.NEGATIVE_INFINITY, result: undefined, running: false };
      this.checks.set(scope, entry);
    }
    const due = nowMs - entry.at >= (entry.result?.ok ? refreshMs : retryMs);
    if (due && !entry.running) {
      const running = entry;
      running.running = true;
      void provider()
        .preflight()
        .catch((err: Error) => ({
          ok: false,
          reason: Reason.DnsCredentialsInvalid as string,
          message: err.message,
        }))
        .then((result) => Object.assign(running, { result, at: nowMs, running: false }));
    }
    const result = entry.result;
    if (!result) return undefined;
    if (!result.ok) {
      return { usable: false, status: "False", reason: result.reason as Reason, message: result.message };
    }
    const slow = ttlWarning(policy.spec.dns.ttlSeconds, policy.metadata?.name ?? "");
    if (slow) return { usable: true, status: "False", reason: slow.reason, message: slow.message };
    return {
      usable: true,
      status: "True",
      reason: Reason.DnsPreflightPassed,
      // Not the check's own message: it names the app that ran the shared check (dnsEndpoint) or
      // the zone's SOA serial (rfc2136), and a message that changes rewrites every app's status.
      message: "the DNS provider accepts changes (checked every 30 s, once for all apps that use it)",
    };
  }
}
