import { createServer, type Server } from "node:http";
import { hubReachablePath } from "./hub-reachability.ts";

/**
 * The agent's endpoint for its peers: GET /v1/hub-reachable answers {"reachable": bool} from the
 * latest fresh probe, or 503 when there is none (which a peer reads as "cannot vouch").
 */
export async function startPeerServer(
  port: number,
  hubReachable: () => boolean | undefined,
  host = "0.0.0.0",
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const json = (code: number, body: object) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "GET") return json(405, { error: "method not allowed" });
    if (path === "/healthz") return json(200, { ok: true });
    if (path !== hubReachablePath) return json(404, { error: "not found" });
    const reachable = hubReachable();
    return reachable === undefined
      ? json(503, { error: "no recent probe of the hub" })
      : json(200, { reachable });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
