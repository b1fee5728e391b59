import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface ProbeServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Readiness: e.g. caches synced. Liveness is the process answering at all. */
  ready: () => boolean;
}

/** /healthz, /readyz and /metrics, the endpoints kubelet probes and Prometheus scrapes. */
export async function startProbeServer(opts: ProbeServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const text = (code: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(code, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET") return text(405, "method not allowed\n");
    switch (path) {
      case "/healthz":
        return text(200, "ok\n");
      case "/readyz":
        return opts.ready() ? text(200, "ok\n") : text(503, "caches not synced\n");
      case "/metrics":
        opts.registry.metrics().then(
          (body) => text(200, body, opts.registry.contentType),
          (err: Error) => text(500, `${err.message}\n`),
        );
        return;
      default:
        return text(404, "not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => resolve());
  });
  return server;
}
