import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export interface ProbeResult {
  reachable: boolean;
  /** Round trip of the /readyz request. */
  latencyMs: number;
  /** e.g. v1.36.3, when asked for and reachable. */
  serverVersion?: string;
  /** What went wrong, for the condition message. */
  error?: string;
}

/**
 * One health probe of a member cluster's API server: GET /readyz (200 means every apiserver check
 * passed) and, when `withVersion`, GET /version. One probe per cluster per interval serves every
 * app in that cluster, so probe traffic grows with clusters, not apps.
 */
export async function probeCluster(
  kc: KubeConfig,
  timeoutMs: number,
  withVersion: boolean,
): Promise<ProbeResult> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) return { reachable: false, latencyMs: 0, error: "kubeconfig has no server" };
  const started = performance.now();
  try {
    const readyz = await httpGet(kc, `${server}/readyz`, timeoutMs);
    const latencyMs = Math.round(performance.now() - started);
    if (readyz.status !== 200) {
      return {
        reachable: false,
        latencyMs,
        error: `/readyz answered ${readyz.status}: ${readyz.body.slice(0, 200)}`,
      };
    }
    if (!withVersion) return { reachable: true, latencyMs };
    const version = await httpGet(kc, `${server}/version`, timeoutMs);
    const serverVersion =
      version.status === 200 ? (JSON.parse(version.body).gitVersion as string) : undefined;
    return { reachable: true, latencyMs, serverVersion };
  } catch (err) {
    return {
      reachable: false,
      latencyMs: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

export async function httpGet(
  kc: KubeConfig,
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const opts: RequestOptions = { method: "GET", timeout: timeoutMs };
  await kc.applyToHTTPSOptions(opts);
  const request = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
