import { connect, createServer, type Server, type Socket } from "node:net";
import { type MeridianProcess, spawnMeridian } from "./meridian-process.ts";
import { freePort } from "./operator-process.ts";
import type { Region } from "./testbed.ts";

/** A `meridian agent` process guarding one member cluster, as a user would run it. */
export interface AgentProcess extends MeridianProcess {
  /** Its peer endpoint, the URL other agents take as --peer. */
  url: string;
}

export interface AgentSettings {
  region: string;
  hubUrl: string;
  peers: string[];
  /** Chosen before any agent starts, since each agent names the others. */
  listenPort: number;
  checkIntervalSeconds?: number;
}

export async function startAgent(member: Region, settings: AgentSettings): Promise<AgentProcess> {
  const metricsPort = await freePort();
  const args = [
    ...["agent", "--region", settings.region, "--hub-url", settings.hubUrl],
    ...settings.peers.flatMap((p) => ["--peer", p]),
    ...["--listen-port", String(settings.listenPort), "--metrics-port", String(metricsPort)],
    ...["--check-interval-seconds", String(settings.checkIntervalSeconds ?? 0.25)],
  ];
  return { ...spawnMeridian(member, args, metricsPort), url: `http://127.0.0.1:${settings.listenPort}` };
}

/**
 * One agent's network path to the hub, which a test can reroute: a TCP forwarder on loopback to
 * `target` (an API server URL). Pointing it at a live API server while the real hub is stopped is
 * a partition that heals for that one agent only.
 */
export interface HubLink {
  url: string;
  retarget(target: string): void;
  close(): Promise<void>;
}

export async function startHubLink(target: string): Promise<HubLink> {
  let to = new URL(target);
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(to.port), to.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.once("close", () => open.delete(s));
    }
    client.pipe(upstream).pipe(client);
    // A refused upstream is a hub the agent cannot reach: it sees the connection drop.
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `${to.protocol}//127.0.0.1:${port}`,
    retarget(next) {
      to = new URL(next);
    },
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        for (const s of open) s.destroy();
      }),
  };
}
