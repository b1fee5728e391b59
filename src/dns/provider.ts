// The Rerouting step's adapter: one DnsProvider per RegionalApp DNS provider kind (dnsendpoint,
// rfc2136). Implementations are idempotent (applying the same change twice is a no-op) and
// non-blocking beyond one request/response with the DNS server or API server.

/** The records one hostname should have. */
export interface DesiredRecords {
  hostname: string;
  recordType: "A" | "AAAA" | "CNAME";
  ttlSeconds: number;
  /** IP addresses (A/AAAA) or one hostname (CNAME). Order does not matter. */
  targets: string[];
}

export interface RecordChange {
  desired: DesiredRecords;
  /**
   * The targets we believe are published now. Providers that can (rfc2136) make the change
   * conditional on them, so a concurrent edit by someone else is detected, not overwritten.
   */
  expectedCurrent: string[];
  /** The fencing token of the failover writing this change; rfc2136 publishes it as a TXT record. */
  epoch: number;
}

/** Why a provider call failed, as a condition reason plus a message that says what to fix. */
export class DnsError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface DnsProvider {
  /** Publishes `change.desired`; throws DnsError when the server refuses. */
  apply(change: RecordChange): Promise<void>;
  /** The targets the authoritative source answers now (for verification and for expectedCurrent). */
  current(hostname: string, recordType: DesiredRecords["recordType"]): Promise<string[]>;
  /** Pre-flight: whether a change could be made right now (server reachable, key accepted, object writable). */
  preflight(): Promise<{ ok: boolean; reason: string; message: string }>;
}
