// The agent's side of its region Lease in the hub: every renewal is a compare-and-swap update (the
// resourceVersion of the last answer), bounded by an AbortSignal that aborts the HTTP request itself.
import {
  CoordinationV1Api,
  type KubeConfig,
  type ObservableMiddleware,
  type V1Lease,
} from "@kubernetes/client-node";
// client-node's own Observable stand-in, as its setHeaderMiddleware uses it (the package has no exports map).
import { of } from "@kubernetes/client-node/dist/gen/rxjsStub.js";
import { isConflict, isNotFound } from "../../runtime/api-errors.ts";
import { MicroTime } from "../../runtime/micro-time.ts";
import {
  type RegionLeaseContent,
  regionLeaseAnnotations,
  regionLeaseLabel,
  regionLeaseName,
} from "../region-lease.ts";

/** client-node v2 options that make one request abortable: a middleware hands the signal to fetch. */
export function withSignal(signal: AbortSignal) {
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(signal);
      return of(ctx);
    },
    post: (res) => of(res),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" as const };
}

export class RegionLeaseClient {
  readonly #api: CoordinationV1Api;
  readonly #cluster: string;
  readonly #namespace: string;
  /** The Lease as of the last answer; undefined: read (or create) it first. */
  #lease: V1Lease | undefined;

  constructor(hub: KubeConfig, cluster: string, namespace: string) {
    this.#api = hub.makeApiClient(CoordinationV1Api);
    this.#cluster = cluster;
    this.#namespace = namespace;
  }

  get name(): string {
    return regionLeaseName(this.#cluster);
  }

  get namespace(): string {
    return this.#namespace;
  }

  /** The Lease as last written or read (its uid, for Events). */
  get lease(): V1Lease | undefined {
    return this.#lease;
  }

  /**
   * One renewal: an update with the last seen resourceVersion (creating the Lease when it does not
   * exist). On 409 the Lease is re-read, so that the next renewal uses the current version, and the
   * conflict is thrown: this renewal did not happen.
   */
  async renew(content: RegionLeaseContent, signal: AbortSignal): Promise<void> {
    const options = withSignal(signal);
    const name = this.name;
    const namespace = this.#namespace;
    if (!this.#lease) {
      try {
        this.#lease = await this.#api.readNamespacedLease({ name, namespace }, options);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.#lease = await this.#api.createNamespacedLease(
          { namespace, body: this.#body(undefined, content) },
          options,
        );
        return;
      }
    }
    try {
      this.#lease = await this.#api.replaceNamespacedLease(
        { name, namespace, body: this.#body(this.#lease, content) },
        options,
      );
    } catch (err) {
      if (isConflict(err)) {
        this.#lease = undefined;
        this.#lease = await this.#api
          .readNamespacedLease({ name, namespace }, options)
          .catch(() => undefined);
      } else if (isNotFound(err)) {
        this.#lease = undefined; // deleted: created on the next round
      }
      throw err;
    }
  }

  #body(current: V1Lease | undefined, content: RegionLeaseContent): V1Lease {
    const metadata = current?.metadata ?? {};
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        ...metadata,
        name: this.name,
        namespace: this.#namespace,
        labels: { ...metadata.labels, [regionLeaseLabel]: this.#cluster },
        annotations: { ...metadata.annotations, ...regionLeaseAnnotations(content) },
      },
      spec: {
        ...current?.spec,
        holderIdentity: this.#cluster,
        // Informational only (another machine's clock); it also makes every renewal a real write.
        renewTime: new MicroTime(Date.now()),
      },
    };
  }
}
