import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { PeerAnswer } from "./decide.ts";

/** The path every agent answers peers on. */
export const hubReachablePath = "/v1/hub-reachable";

/**
 * True when the hub's API server answers GET /readyz at all within the timeout, whatever the status:
 * the question is whether the hub could be acting, not whether it is healthy. TLS is not verified
 * because nothing is sent and nothing read is trusted beyond "something answered"; that lets the
 * agent probe without holding any hub credential.
 */
export function probeHub(hubUrl: string, timeoutMs: number): Promise<boolean> {
  const url = new URL("readyz", hubUrl.endsWith("/") ? hubUrl : `${hubUrl}/`);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    // A fresh connection each time (agent: false): a kept-alive one says nothing about new ones.
    const opts = { method: "GET", timeout: timeoutMs, rejectUnauthorized: false, agent: false };
    const req = request(url, opts, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** One peer's answer, or undefined when it gave none in time or an answer we cannot read. */
export async function askPeer(peerUrl: string, timeoutMs: number): Promise<PeerAnswer> {
  try {
    const res = await fetch(new URL(hubReachablePath, peerUrl), { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { reachable?: unknown };
    if (res.ok && typeof body.reachable === "boolean") return { peer: peerUrl, reachable: body.reachable };
  } catch {
    // no answer: the decision treats it as a peer that cannot vouch for the hub being down
  }
  return { peer: peerUrl, reachable: undefined };
}

export interface HubProbeOptions {
  hubUrl: string;
  intervalMs: number;
  timeoutMs: number;
  /** Called with every result (the metric). */
  onResult: (reachable: boolean) => void;
}

/**
 * Probes the hub every interval and keeps the last result, so peers get an answer at once and the
 * agent's own decision uses the same view it gives others. A result older than a few intervals is
 * no answer at all: a stuck prober must not keep vouching that the hub is down.
 */
export class HubProber {
  readonly #opts: HubProbeOptions;
  #last: { reachable: boolean; at: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;

  constructor(opts: HubProbeOptions) {
    this.#opts = opts;
  }

  /** Probes once, then keeps probing in the background. */
  async start(): Promise<void> {
    await this.#probe();
    this.#timer = setInterval(() => void this.#probe(), this.#opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The latest fresh result; undefined when there is none. */
  reachable(now = Date.now()): boolean | undefined {
    const staleAfterMs = 3 * this.#opts.intervalMs + this.#opts.timeoutMs;
    return this.#last && now - this.#last.at <= staleAfterMs ? this.#last.reachable : undefined;
  }

  async #probe(): Promise<void> {
    if (this.#probing) return; // a timeout longer than the interval must not pile probes up
    this.#probing = true;
    try {
      const reachable = await probeHub(this.#opts.hubUrl, this.#opts.timeoutMs);
      this.#last = { reachable, at: Date.now() };
      this.#opts.onResult(reachable);
    } finally {
      this.#probing = false;
    }
  }
}
