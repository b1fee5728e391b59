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

/** How long a pre-flight answer is reused: it costs signed DNS messages or an API call per app. */
const refreshMs = 30_000;

/**
 * The DNS part of pre-flight: can the provider change the records right now (rfc2136: server
 * reachable and the TSIG key accepted; dnsEndpoint: the object writable), and does the policy's TTL
 * keep client failover fast. Checked at most every 30 s per app, and at once after a change.
 */
export class DnsPreflight {
  private readonly cache = new Map<
    string,
    { at: number; fingerprint: string; result: { ok: boolean; reason: string; message: string } }
  >();

  async check(
    appKey: string,
    app: RegionalApp,
    policy: FailoverPolicy,
    provider: () => DnsProvider,
    nowMs: number,
  ): Promise<DnsVerdict> {
    const fingerprint = JSON.stringify(app.spec.dns);
    let entry = this.cache.get(appKey);
    if (!entry || entry.fingerprint !== fingerprint || nowMs - entry.at >= refreshMs || !entry.result.ok) {
      const result = await provider()
        .preflight()
        .catch((err: Error) => ({
          ok: false,
          reason: Reason.DnsCredentialsInvalid as string,
          message: err.message,
        }));
      entry = { at: nowMs, fingerprint, result };
      this.cache.set(appKey, entry);
    }
    if (!entry.result.ok) {
      return {
        usable: false,
        status: "False",
        reason: entry.result.reason as Reason,
        message: entry.result.message,
      };
    }
    const slow = ttlWarning(policy.spec.dns.ttlSeconds, policy.metadata?.name ?? "");
    if (slow) return { usable: true, status: "False", reason: slow.reason, message: slow.message };
    return {
      usable: true,
      status: "True",
      reason: Reason.DnsPreflightPassed,
      message: entry.result.message || "the DNS provider accepts changes",
    };
  }

  forget(appKey: string): void {
    this.cache.delete(appKey);
  }
}
