// Routes a kubeconfig through a FaultProxy, keeping TLS verification working.
import { isIP } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import type { Region } from "./testbed.ts";

/** The parsed form of a kubeconfig file (only what routing touches is typed). */
export interface KubeconfigObject {
  clusters?: {
    name: string;
    cluster: { server: string; "tls-server-name"?: string; [k: string]: unknown };
  }[];
  contexts?: { name: string; context: { cluster: string; [k: string]: unknown } }[];
  "current-context"?: string;
  [k: string]: unknown;
}

export interface RouteOptions {
  /** The cluster entry to reroute; default: the current context's. */
  cluster?: string;
  /**
   * The name the server certificate is checked against. Default: the original server's host name
   * when it is a DNS name; none when it is an IP address (kwok's serving certificate carries
   * 127.0.0.1, ::1 and localhost, so a proxy on 127.0.0.1 verifies as is).
   */
  tlsServerName?: string;
}

/** Where to send the traffic: a FaultProxy, or anything with its host and port. */
export interface ProxyAddress {
  host?: string;
  port: number;
}

/**
 * Returns a copy of `kubeconfig` (YAML text or parsed object; same form out as in) whose cluster
 * server URL points at `proxy` (host default 127.0.0.1), so the client's traffic to that API server
 * crosses the proxy. Certificates, users and contexts are untouched.
 */
export function routeKubeconfig(kubeconfig: string, proxy: ProxyAddress, options?: RouteOptions): string;
export function routeKubeconfig(
  kubeconfig: KubeconfigObject,
  proxy: ProxyAddress,
  options?: RouteOptions,
): KubeconfigObject;
export function routeKubeconfig(
  kubeconfig: string | KubeconfigObject,
  proxy: ProxyAddress,
  options: RouteOptions = {},
): string | KubeconfigObject {
  const config = (
    typeof kubeconfig === "string" ? parse(kubeconfig) : structuredClone(kubeconfig)
  ) as KubeconfigObject;
  const clusterName =
    options.cluster ??
    config.contexts?.find((c) => c.name === config["current-context"])?.context.cluster ??
    (config.clusters?.length === 1 ? config.clusters[0]?.name : undefined);
  const entry = config.clusters?.find((c) => c.name === clusterName);
  if (!entry) throw new Error(`kubeconfig has no cluster ${clusterName ?? "(no current context)"}`);
  const url = new URL(entry.cluster.server);
  const originalHost = url.hostname.replace(/^\[|\]$/g, "");
  url.hostname = proxy.host ?? "127.0.0.1";
  url.port = String(proxy.port);
  entry.cluster.server = url.toString().replace(/\/$/, "");
  const serverName =
    options.tlsServerName ??
    entry.cluster["tls-server-name"] ??
    (isIP(originalHost) === 0 ? originalHost : undefined);
  if (serverName && url.protocol === "https:") entry.cluster["tls-server-name"] = serverName;
  return typeof kubeconfig === "string" ? stringify(config) : config;
}

/** A copy of `region` whose kubeconfig and server go through `proxy`: hand it to anything taking a Region. */
export function routeRegion(region: Region, proxy: ProxyAddress, options?: RouteOptions): Region {
  const kubeconfig = routeKubeconfig(region.kubeconfig, proxy, options);
  const server = new URL(region.server);
  server.hostname = proxy.host ?? "127.0.0.1";
  server.port = String(proxy.port);
  return { ...region, kubeconfig, server: server.toString().replace(/\/$/, "") };
}

/** A client-node KubeConfig for `region` through `proxy`. */
export function kubeConfigVia(region: Region, proxy: ProxyAddress, options?: RouteOptions): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(routeKubeconfig(region.kubeconfig, proxy, options));
  return kc;
}
