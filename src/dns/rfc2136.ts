// The rfc2136 DnsProvider: TSIG-signed DNS UPDATEs straight to the zone's authoritative server,
// the fast way to reroute (no controller loop between Meridian and DNS). Every apply reads the
// published records and epoch, sends one compare-and-swap UPDATE (rfc2136-update.ts), then
// queries the server to prove it answers with the new targets, and reads the zone's SOA serial.
import { Reason } from "../api/reasons.ts";
import { checkBeforeWrite, type PublishedRecords, recordChangedError } from "./change-guard.ts";
import { epochRecordName, parseEpoch } from "./epoch-record.ts";
import { type DesiredRecords, DnsError, type DnsProvider, type RecordChange } from "./provider.ts";
import { exchangeError, type Rfc2136Context, replyError } from "./rfc2136-errors.ts";
import { buildUpdate } from "./rfc2136-update.ts";
import { canonicalTargets, describeTargets, recordTypeCode, sameTargets } from "./targets.ts";
import { nameOf, Rcode, RecordType } from "./wire/constants.ts";
import { exchange, newMessageId, type Reply } from "./wire/exchange.ts";
import { type Message, queryMessage, type ResourceRecord, updateMessage } from "./wire/message.ts";
import { isInZone, normalizeName } from "./wire/name.ts";
import { parseServer } from "./wire/transport.ts";
import type { TsigKey } from "./wire/tsig.ts";

export interface Rfc2136Config {
  /** host:port of the zone's primary (authoritative) server. */
  server: string;
  zone: string;
  /** Returns the TSIG key; called for every operation, so a rotated Secret takes effect at once. */
  key: () => Promise<TsigKey>;
  /** How long one request may wait for its reply (UDP with retransmits, then TCP). Default 3000. */
  timeoutMs?: number;
  /** How often an unanswered UDP request is sent again. Default 500. */
  retransmitMs?: number;
  /** The clock TSIG signs with, in ms. Default Date.now. */
  now?: () => number;
}

export interface AppliedRecords {
  /** False when the server already held the desired records at this epoch (a repeated apply). */
  changed: boolean;
  /** The zone's SOA serial once the server answered with the new records. */
  soaSerial: number;
}

/** The published records, plus the epoch TXT RRset exactly as read, for the update's prerequisite. */
type PublishedWithEpoch = PublishedRecords & { epochRecords: string[][] };

export class Rfc2136Provider implements DnsProvider {
  private readonly config: Rfc2136Config;

  constructor(config: Rfc2136Config) {
    this.config = config;
  }

  async apply(change: RecordChange): Promise<void> {
    await this.publish(change);
  }

  /** apply, reporting whether anything changed and the zone's SOA serial afterwards. */
  async publish(change: RecordChange): Promise<AppliedRecords> {
    const key = await this.config.key();
    const { hostname, recordType } = change.desired;
    this.assertInZone(hostname);
    const published = await this.published(key, hostname, recordType);
    const changed = checkBeforeWrite(published, change, this.config.server) === "write";
    if (changed) await this.update(key, change, published.epochRecords);
    return { changed, soaSerial: await this.verify(key, change.desired) };
  }

  async current(hostname: string, recordType: DesiredRecords["recordType"]): Promise<string[]> {
    this.assertInZone(hostname);
    const records = await this.lookup(await this.config.key(), hostname, recordTypeCode[recordType]);
    return canonicalTargets(recordType, records.map(targetOf));
  }

  /**
   * A signed SOA query (the server is reachable, authoritative for the zone, knows our key and
   * signs with it), then an empty signed UPDATE of the zone, which changes nothing and bumps no
   * serial but is refused when the zone takes no updates from the key.
   */
  async preflight(): Promise<{ ok: boolean; reason: string; message: string }> {
    try {
      const key = await this.config.key();
      const serial = await this.soaSerial(key);
      const { zone, server } = this.config;
      await this.send(
        updateMessage(newMessageId(), zone, [], []),
        this.context(key, "update", `an empty update of zone ${zone}`),
      );
      return {
        ok: true,
        reason: Reason.DnsProviderReady,
        message: `DNS server ${server} answers for zone ${zone} and accepts updates signed with TSIG key ${key.name} (SOA serial ${serial})`,
      };
    } catch (err) {
      if (err instanceof DnsError) return { ok: false, reason: err.reason, message: err.message };
      throw err;
    }
  }

  private assertInZone(hostname: string): void {
    if (!isInZone(hostname, this.config.zone)) {
      throw new DnsError(
        Reason.DnsNotInZone,
        `hostname ${hostname} is not inside zone ${this.config.zone}: set spec.dns.provider.rfc2136.zone to the zone that contains it`,
      );
    }
  }

  private context(
    key: TsigKey,
    request: Rfc2136Context["request"],
    operation: string,
    grants?: Rfc2136Context["grants"],
  ): Rfc2136Context {
    const { server, zone } = this.config;
    return { server, zone, key, request, operation, ...(grants ? { grants } : {}) };
  }

  /** Sends a request and returns the verified reply; `accepted` rcodes pass, every other is a DnsError. */
  private async send(
    request: Message,
    ctx: Rfc2136Context,
    accepted: number[] = [Rcode.NOERROR],
  ): Promise<Reply> {
    const now = this.config.now ?? Date.now;
    let reply: Reply;
    try {
      // Parsed here, so that a malformed address is reported like an unreachable server.
      reply = await exchange(parseServer(this.config.server), request, ctx.key, {
        timeoutMs: this.config.timeoutMs ?? 3000,
        retransmitMs: this.config.retransmitMs ?? 500,
        now,
      });
    } catch (err) {
      throw exchangeError(err, ctx);
    }
    const problem = replyError(reply, ctx, now(), accepted);
    if (problem) throw problem;
    return reply;
  }

  /** The records of one name and type, as the authoritative server answers them. */
  private async lookup(key: TsigKey, name: string, type: number): Promise<ResourceRecord[]> {
    const ctx = this.context(key, "query", `the query for ${name} ${nameOf(RecordType, type)}`);
    const reply = await this.send(queryMessage(newMessageId(), name, type), ctx, [
      Rcode.NOERROR,
      Rcode.NXDOMAIN,
    ]);
    if (!reply.message.header.aa) {
      throw new DnsError(
        Reason.DnsNotAuthoritative,
        `${ctx.operation}: ${this.config.server} answered without authority for zone ${this.config.zone}; point spec.dns.provider.rfc2136.server at the zone's primary server, not a resolver`,
      );
    }
    const owner = normalizeName(name);
    return reply.message.answers.filter((rr) => rr.type === type && normalizeName(rr.name) === owner);
  }

  private async published(
    key: TsigKey,
    hostname: string,
    recordType: DesiredRecords["recordType"],
  ): Promise<PublishedWithEpoch> {
    const [records, epochRecords] = await Promise.all([
      this.lookup(key, hostname, recordTypeCode[recordType]),
      this.lookup(key, epochRecordName(hostname), RecordType.TXT).then((rrs) => rrs.map(txtOf)),
    ]);
    return {
      targets: records.map(targetOf),
      ttlSeconds: records[0]?.ttl,
      epoch: parseEpoch(epochRecords),
      epochRecords,
    };
  }

  private async update(key: TsigKey, change: RecordChange, epochRecords: string[][]): Promise<void> {
    const { hostname, recordType } = change.desired;
    const request = buildUpdate(newMessageId(), {
      zone: this.config.zone,
      desired: change.desired,
      expectedCurrent: change.expectedCurrent,
      publishedEpochRecords: epochRecords,
      epoch: change.epoch,
    });
    const grants = [
      { name: hostname, type: recordType },
      { name: epochRecordName(hostname), type: "TXT" },
    ];
    const ctx = this.context(key, "update", `the update of ${hostname} ${recordType}`, grants);
    const reply = await this.send(request, ctx, [Rcode.NOERROR, Rcode.NXRRSET, Rcode.YXRRSET]);
    if (reply.message.header.rcode === Rcode.NOERROR) return;
    // A prerequisite failed. If the server now holds exactly what we asked for, at our epoch, an
    // earlier copy of this update (a UDP retransmit) got there first; anything else is someone else's.
    const now = await this.published(key, hostname, recordType);
    if (checkBeforeWrite(now, change, this.config.server) === "done") return;
    throw recordChangedError(change, now, this.config.server);
  }

  /** Proves the server answers with the desired targets; returns the zone's SOA serial. */
  private async verify(key: TsigKey, desired: DesiredRecords): Promise<number> {
    const [records, serial] = await Promise.all([
      this.lookup(key, desired.hostname, recordTypeCode[desired.recordType]),
      this.soaSerial(key),
    ]);
    const found = records.map(targetOf);
    if (!sameTargets(desired.recordType, found, desired.targets)) {
      const cname =
        desired.recordType === "CNAME"
          ? `; a CNAME cannot share its name with other records, and BIND drops such an update silently: remove the other records at ${desired.hostname}`
          : `; if ${desired.hostname} is a CNAME, the server drops other types there silently: remove the CNAME`;
      throw new DnsError(
        Reason.DnsVerificationFailed,
        `${this.config.server} accepted the update of ${desired.hostname} ${desired.recordType} but answers ${describeTargets(canonicalTargets(desired.recordType, found))} instead of ${describeTargets(canonicalTargets(desired.recordType, desired.targets))}${cname}`,
      );
    }
    return serial;
  }

  private async soaSerial(key: TsigKey): Promise<number> {
    const [soa] = await this.lookup(key, this.config.zone, RecordType.SOA);
    if (soa?.data.kind !== "soa") {
      throw new DnsError(
        Reason.DnsNotAuthoritative,
        `${this.config.server} has no SOA record at ${this.config.zone}: it does not serve that zone, or ${this.config.zone} is not the zone's apex (set spec.dns.provider.rfc2136.zone to the apex, e.g. example.com)`,
      );
    }
    return soa.data.serial;
  }
}

function targetOf(rr: ResourceRecord): string {
  if (rr.data.kind === "address") return rr.data.address;
  if (rr.data.kind === "name") return rr.data.name;
  throw new DnsError(
    Reason.DnsResponseMalformed,
    `a ${nameOf(RecordType, rr.type)} record of ${rr.name} has no target`,
  );
}

const txtOf = (rr: ResourceRecord): string[] => (rr.data.kind === "txt" ? rr.data.strings : []);
