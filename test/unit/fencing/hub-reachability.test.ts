import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { askPeer, probeHub } from "../../../src/fencing/agent/hub-reachability.ts";
import { startPeerServer } from "../../../src/fencing/agent/peer-server.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function closedPort(): Promise<string> {
  const url = await serve(() => undefined);
  await new Promise((r) => servers.pop()?.close(r));
  return url;
}

describe("hub reachability", () => {
  it("counts any answer to /readyz as a reachable hub, even an error status", async () => {
    const url = await serve((req, res) => {
      res.writeHead(req.url === "/readyz" ? 500 : 404).end();
    });
    expect(await probeHub(url, 1000)).toBe(true);
  });

  it("counts a refused connection and a silent server as an unreachable hub", async () => {
    expect(await probeHub(await closedPort(), 1000)).toBe(false);
    const silent = await serve(() => undefined);
    expect(await probeHub(silent, 200)).toBe(false);
  });

  it("reads a peer's answer as its agent serves it, and anything else as no answer", async () => {
    let fresh: boolean | undefined = false;
    const peer = await startPeerServer(0, () => fresh, "127.0.0.1");
    servers.push(peer);
    const url = `http://127.0.0.1:${(peer.address() as { port: number }).port}`;
    expect(await askPeer(url, 1000)).toEqual({ peer: url, reachable: false });
    fresh = true;
    expect((await askPeer(url, 1000)).reachable).toBe(true);
    fresh = undefined; // no recent probe: the peer must not vouch either way
    expect((await askPeer(url, 1000)).reachable).toBeUndefined();
    const garbage = await serve((_req, res) => res.end("reachable"));
    expect((await askPeer(garbage, 1000)).reachable).toBeUndefined();
    expect((await askPeer(await closedPort(), 1000)).reachable).toBeUndefined();
  });
});
