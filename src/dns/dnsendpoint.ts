// The dnsEndpoint DnsProvider: writes the app's record into an ExternalDNS DNSEndpoint in the
// hub, and ExternalDNS publishes it to whichever DNS service it manages. The write is a
// server-side apply (field manager "meridian") conditional on the resourceVersion Meridian
// read, so a concurrent edit of the object is detected, not overwritten.
import {
  ApiException,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { Reason } from "../api/reasons.ts";
import { describeApiError, statusCode } from "../runtime/api-errors.ts";
import { fieldManager } from "../runtime/status-writer.ts";
import { checkBeforeWrite, recordChangedError } from "./change-guard.ts";
import {
  appAnnotation,
  appIdentity,
  type DnsEndpointObject,
  dnsEndpointManifest,
  dnsEndpointName,
  dnsEndpointResource,
  type OwnerApp,
  publishedIn,
} from "./dnsendpoint-object.ts";
import { type DesiredRecords, DnsError, type DnsProvider, type RecordChange } from "./provider.ts";
import { sameTargets } from "./targets.ts";

export interface DnsEndpointConfig {
  /** The hub cluster. */
  kc: KubeConfig;
  /** The RegionalApp whose record this is; it owns the DNSEndpoint. */
  app: OwnerApp;
  /** spec.dns.provider.dnsEndpoint.namespace; default the app's namespace. */
  namespace?: string;
}

const { group, version, plural } = dnsEndpointResource;
const asApply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);

export class DnsEndpointProvider implements DnsProvider {
  private readonly api: CustomObjectsApi;
  private readonly app: OwnerApp;
  private readonly namespace: string;
  private readonly name: string;

  constructor(config: DnsEndpointConfig) {
    this.api = config.kc.makeApiClient(CustomObjectsApi);
    this.app = config.app;
    this.namespace = config.namespace ?? config.app.namespace;
    this.name = dnsEndpointName(config.app, this.namespace);
  }

  /** namespace/name of the DNSEndpoint, for messages and tests. */
  get objectRef(): string {
    return `${this.namespace}/${this.name}`;
  }

  async apply(change: RecordChange): Promise<void> {
    const { hostname, recordType } = change.desired;
    const live = await this.read();
    const published = publishedIn(live, hostname, recordType);
    const where = `DNSEndpoint ${this.objectRef}`;
    if (checkBeforeWrite(published, change, where) === "done") return;
    if (!sameTargets(recordType, published.targets, change.expectedCurrent)) {
      throw recordChangedError(change, published, where);
    }
    const manifest = dnsEndpointManifest(this.app, this.namespace, change.desired, change.epoch);
    // Applied only if nobody wrote the object since we read it (409 Conflict otherwise).
    const resourceVersion = live?.metadata.resourceVersion;
    if (resourceVersion) manifest.metadata.resourceVersion = resourceVersion;
    try {
      await this.write(manifest, false);
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      const now = publishedIn(await this.read(), hostname, recordType);
      if (checkBeforeWrite(now, change, where) === "done") return;
      throw recordChangedError(change, now, where);
    }
  }

  async current(hostname: string, recordType: DesiredRecords["recordType"]): Promise<string[]> {
    return publishedIn(await this.read(), hostname, recordType).targets;
  }

  /** A server-side dry-run apply of the object as it is: the kind is served, RBAC and admission allow the write. */
  async preflight(): Promise<{ ok: boolean; reason: string; message: string }> {
    try {
      const live = await this.read();
      const manifest = dnsEndpointManifest(this.app, this.namespace, undefined, undefined);
      manifest.spec = live?.spec ?? { endpoints: [] };
      await this.write(manifest, true);
      return {
        ok: true,
        reason: Reason.DnsProviderReady,
        message: `DNSEndpoint ${this.objectRef} is writable (server-side dry-run apply accepted); ExternalDNS publishes it at its next sync`,
      };
    } catch (err) {
      if (err instanceof DnsError) return { ok: false, reason: err.reason, message: err.message };
      throw err;
    }
  }

  /** The live object, or undefined when it does not exist yet; refuses one that belongs to someone else. */
  private async read(): Promise<DnsEndpointObject | undefined> {
    let live: DnsEndpointObject;
    try {
      live = (await this.api.getNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: this.namespace,
        name: this.name,
      })) as DnsEndpointObject;
    } catch (err) {
      if (statusCode(err) === 404 && !kindMissing(err)) return undefined;
      throw this.apiError(err, "read");
    }
    const owner = live.metadata.annotations?.[appAnnotation];
    if (owner !== appIdentity(this.app)) {
      throw new DnsError(
        Reason.DnsEndpointOwnedByOther,
        `DNSEndpoint ${this.objectRef} exists but belongs to ${owner ? `RegionalApp ${owner}` : "someone other than Meridian"} (annotation ${appAnnotation}); Meridian writes RegionalApp ${appIdentity(this.app)}'s record there. Delete or rename that DNSEndpoint, or set spec.dns.provider.dnsEndpoint.namespace to another namespace`,
      );
    }
    return live;
  }

  private async write(manifest: DnsEndpointObject, dryRun: boolean): Promise<void> {
    try {
      await this.api.patchNamespacedCustomObject(
        {
          group,
          version,
          plural,
          namespace: this.namespace,
          name: this.name,
          body: manifest,
          fieldManager,
          force: true,
          ...(dryRun ? { dryRun: "All" } : {}),
        },
        asApply,
      );
    } catch (err) {
      if (statusCode(err) === 409) throw err;
      throw this.apiError(err, "write");
    }
  }

  private apiError(err: unknown, verb: "read" | "write"): DnsError {
    const code = statusCode(err);
    if (code === 404) {
      return new DnsError(
        Reason.DnsEndpointCrdMissing,
        `the hub does not serve ${dnsEndpointResource.kind} (${group}/${version}), so Meridian cannot ${verb} DNSEndpoint ${this.objectRef}: install ExternalDNS's CRD dnsendpoints.${group} and run ExternalDNS with --source=crd`,
      );
    }
    if (code === 403) {
      return new DnsError(
        Reason.DnsEndpointForbidden,
        `the operator may not ${verb} DNSEndpoint ${this.objectRef} (${describeApiError(err)}): grant its ServiceAccount get, create and patch on dnsendpoints.${group} in namespace ${this.namespace}`,
      );
    }
    return new DnsError(
      Reason.DnsEndpointWriteFailed,
      `could not ${verb} DNSEndpoint ${this.objectRef}: ${describeApiError(err)}`,
    );
  }
}

/**
 * A 404 about the resource type rather than the object: the API server then names no object in
 * the Status details ("the server could not find the requested resource").
 */
function kindMissing(err: unknown): boolean {
  if (!(err instanceof ApiException)) return false;
  try {
    const body = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
    return body?.details?.name === undefined;
  } catch {
    return true;
  }
}
