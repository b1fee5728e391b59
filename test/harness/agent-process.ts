import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MeridianProcess, spawnMeridian } from "./meridian-process.ts";
import { freePort } from "./operator-process.ts";
import type { Region } from "./testbed.ts";

/** A `meridian agent` process guarding one member cluster, as a user would run it. */
export interface AgentProcess extends MeridianProcess {
  /** Its peer endpoint, the URL other agents take as --peer. */
  url: string;
  metricsPort: number;
}

export interface AgentSettings {
  /** The MemberCluster it guards (--cluster). */
  cluster: string;
  /** The hub as this agent reaches it: a Region whose kubeconfig may go through a FaultProxy (routeRegion). */
  hub: Region;
  hubNamespace?: string;
  stateNamespace?: string;
  peers: string[];
  /** Chosen before any agent starts, since each agent names the others. */
  listenPort: number;
  checkIntervalSeconds?: number;
}

/** The command line of `meridian agent` for `settings`; the hub kubeconfig is written to a temporary file. */
export function agentArgs(settings: AgentSettings, metricsPort: number): string[] {
  const hubKubeconfig = join(mkdtempSync(join(tmpdir(), "meridian-agent-hub-")), "kubeconfig");
  writeFileSync(hubKubeconfig, settings.hub.kubeconfig);
  return [
    ...["agent", "--cluster", settings.cluster, "--hub-kubeconfig", hubKubeconfig],
    ...["--hub-namespace", settings.hubNamespace ?? "meridian-system"],
    ...["--state-namespace", settings.stateNamespace ?? "meridian-system"],
    ...settings.peers.flatMap((p) => ["--peer", p]),
    ...["--listen-port", String(settings.listenPort), "--metrics-port", String(metricsPort)],
    ...["--check-interval-seconds", String(settings.checkIntervalSeconds ?? 0.25)],
  ];
}

/** Starts the agent with `member`'s kubeconfig as $KUBECONFIG (the member cluster it guards). */
export async function startAgent(member: Region, settings: AgentSettings): Promise<AgentProcess> {
  const metricsPort = await freePort();
  return {
    ...spawnMeridian(member, agentArgs(settings, metricsPort), metricsPort),
    url: `http://127.0.0.1:${settings.listenPort}`,
    metricsPort,
  };
}
