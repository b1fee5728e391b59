// The agents' failsafe channel: GET /v1/promise asks an agent to promise that its votes are out of
// the hub's reach (src/fencing/protocol/promises.ts). The answer binds the agent that gives it.
import { createServer, type Server } from "node:http";
import type { PeerPromise } from "./loop.ts";

export const promisePath = "/v1/promise";

/**
 * Serves GET /v1/promise: 200 {"cluster", "quietMs", "holdMs"} when `give` gives a promise (and
 * has already bound this agent by then), 409 {"refused": reason} otherwise; /healthz answers 200.
 */
export async function startPeerServer(
  port: number,
  give: () => PeerPromise | { refused: string },
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
    if (path !== promisePath) return json(404, { error: "not found" });
    const answer = give();
    return "refused" in answer ? json(409, answer) : json(200, answer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Asks one peer; undefined when it refuses. Throws when it does not answer (which gives nothing). */
export async function askPromise(peerUrl: string, signal: AbortSignal): Promise<PeerPromise | undefined> {
  const res = await fetch(new URL(promisePath, peerUrl), { signal });
  const body = (await res.json()) as Partial<PeerPromise>;
  if (res.status !== 200) return undefined;
  if (typeof body.cluster !== "string" || typeof body.quietMs !== "number" || typeof body.holdMs !== "number")
    return undefined;
  return { cluster: body.cluster, quietMs: body.quietMs, holdMs: body.holdMs };
}
