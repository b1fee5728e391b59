// A hub in a cluster of its own, member regions with an agent each, a real PostgreSQL primary and
// streaming replica, BIND, and a FaultProxy on every link between them: operator↔hub API,
// operator↔each member API, operator↔each database, each agent↔hub API, each agent↔each peer.
// Clients inside a region (the split-brain checker) reach its database directly, as they would.
import { CoreV1Api } from "@kubernetes/client-node";
import { group, version } from "../../src/api/group.ts";
import { type AgentProcess, startAgent } from "./agent-process.ts";
import { type BindServer, startBind } from "./bind.ts";
import { endpoints, hostname, zone } from "./failover-setup.ts";
import { FaultProxy } from "./fault-proxy.ts";
import { createObject, custom, deleteAllMemberClusters, installCrds, registerRegions } from "./meridian.ts";
import { freePort, type OperatorProcess, startOperator } from "./operator-process.ts";
import { pollUntil } from "./poll.ts";
import { type PostgresPair, startPostgresPair } from "./postgres.ts";
import { routeRegion } from "./proxied-kubeconfig.ts";
import { createProbeTable, SplitBrainChecker } from "./split-brain.ts";
import { kubeConfigFor, type Region } from "./testbed.ts";
import { appsApi, deployment } from "./workloads.ts";

export interface PartitionedApp {
  namespace: string;
  hub: Region;
  members: Region[];
  clusters: Record<string, string>;
  pg: PostgresPair;
  bind: BindServer;
  checker: SplitBrainChecker;
  links: {
    operatorHub: FaultProxy;
    operatorMember: Record<string, FaultProxy>;
    operatorDb: Record<string, FaultProxy>;
    agentHub: Record<string, FaultProxy>;
    /** "<from>><to>": the link agent `from` asks agent `to` for promises on. */
    agentPeer: Record<string, FaultProxy>;
  };
  agents: Record<string, AgentProcess>;
  operators: OperatorProcess[];
  /** Starts one more operator replica (through the operator↔hub link). */
  startOperator(): Promise<OperatorProcess>;
  /** Cuts every link of `region` (its clients still reach its database): a region cut off. */
  isolate(region: string, mode?: "cut" | "blackhole"): void;
  /** Every proxy back to pass. */
  heal(): void;
  teardown(): Promise<void>;
}

/** The first member holds the primary database, the second its streaming replica; others run the workload only. */
export async function setUpPartitionedApp(opts: {
  hub: Region;
  members: Region[];
  namespace: string;
  policy: Record<string, unknown>;
  operatorArgs?: string[];
}): Promise<PartitionedApp> {
  const { hub, members, namespace } = opts;
  const [primary, replica] = members as [Region, Region];
  await installCrds(hub);
  // Voters are every MemberCluster in the hub: leftovers of another file would change the count.
  await deleteAllMemberClusters(hub);
  const api = custom(hub);
  const proxies: FaultProxy[] = [];
  const proxy = async (target: string, name: string) => {
    const p = await FaultProxy.start(target, { name });
    proxies.push(p);
    return p;
  };
  const operatorHub = await proxy(hub.server, "operator → hub");
  const operatorMember: Record<string, FaultProxy> = {};
  const agentHub: Record<string, FaultProxy> = {};
  for (const m of members) {
    operatorMember[m.name] = await proxy(m.server, `operator → ${m.name}`);
    agentHub[m.name] = await proxy(hub.server, `agent ${m.name} → hub`);
  }
  const clusters = await registerRegions(
    hub,
    namespace,
    namespace,
    members.map((m) => routeRegion(m, operatorMember[m.name] as FaultProxy)),
  );
  const pg = await startPostgresPair({ primary: primary.name, replica: replica.name });
  const bind = await startBind({
    zones: [{ name: zone, records: [`checkout 30 IN A ${endpoints[primary.name]}`] }],
  });
  const servers: Record<string, string> = {
    [primary.name]: pg.primary.meridianUri,
    [replica.name]: pg.replica.meridianUri,
  };
  const operatorDb: Record<string, FaultProxy> = {};
  const hubCore = kubeConfigFor(hub).makeApiClient(CoreV1Api);
  for (const [region, uri] of Object.entries(servers)) {
    const link = await proxy(new URL(uri).host, `operator → ${region} database`);
    operatorDb[region] = link;
    const routed = new URL(uri);
    routed.host = `127.0.0.1:${link.port}`;
    await hubCore.createNamespacedSecret({
      namespace,
      body: { metadata: { name: `pg-${region}` }, stringData: { uri: routed.toString() } },
    });
  }
  await hubCore.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: "tsig" },
      stringData: { name: bind.key.name, algorithm: bind.key.algorithm, secret: bind.key.secret },
    },
  });
  for (const m of members) {
    await appsApi(m).createNamespacedDeployment({
      namespace,
      body: deployment("checkout", namespace, m === primary ? 2 : 1),
    });
    const uri = servers[m.name];
    if (uri) {
      // The agent reads its region's database Secret from its own cluster.
      await kubeConfigFor(m)
        .makeApiClient(CoreV1Api)
        .createNamespacedSecret({
          namespace,
          body: { metadata: { name: `pg-${m.name}` }, stringData: { uri } },
        });
    }
  }
  const apiVersion = `${group}/${version}`;
  await createObject(
    hub,
    "failoverpolicies",
    { apiVersion, kind: "FailoverPolicy", metadata: { name: "policy" }, spec: opts.policy },
    namespace,
  );
  await createObject(
    hub,
    "regionalapps",
    {
      apiVersion,
      kind: "RegionalApp",
      metadata: { name: "checkout" },
      spec: {
        policyRef: { name: "policy" },
        primaryRegion: primary.name,
        regions: members.map((m, i) => ({
          name: m.name,
          clusterRef: clusters[m.name],
          priority: i + 1,
          workload: { kind: "Deployment", name: "checkout" },
          endpoint: endpoints[m.name] ?? `203.0.113.${30 + i}`,
          ...(servers[m.name] ? { database: { connectionSecretRef: { name: `pg-${m.name}` } } } : {}),
        })),
        dns: {
          hostname,
          recordType: "A",
          provider: { rfc2136: { server: bind.address, zone, tsigSecretRef: { name: "tsig" } } },
        },
        database: { engine: "postgresql" },
      },
    },
    namespace,
  );
  await createProbeTable(pg.primary.appUri);
  const checker = new SplitBrainChecker([
    { region: primary.name, appUri: pg.primary.appUri },
    { region: replica.name, appUri: pg.replica.appUri },
  ]);
  // Agents: ports first, since each names the others through its own proxies.
  const ports: Record<string, number> = {};
  for (const m of members) ports[m.name] = await freePort();
  const agentPeer: Record<string, FaultProxy> = {};
  for (const from of members) {
    for (const to of members) {
      if (from !== to)
        agentPeer[`${from.name}>${to.name}`] = await proxy(
          `127.0.0.1:${ports[to.name]}`,
          `agent ${from.name} → agent ${to.name}`,
        );
    }
  }
  const agents: Record<string, AgentProcess> = {};
  for (const m of members) {
    agents[m.name] = await startAgent(m, {
      cluster: clusters[m.name] as string,
      hub: routeRegion(hub, agentHub[m.name] as FaultProxy),
      hubNamespace: namespace,
      stateNamespace: namespace,
      peers: members
        .filter((p) => p !== m)
        .map((p) => `http://127.0.0.1:${agentPeer[`${m.name}>${p.name}`]?.port}`),
      listenPort: ports[m.name] as number,
    });
  }
  const operators: OperatorProcess[] = [];
  const start = async () => {
    const op = await startOperator(routeRegion(hub, operatorHub), [
      ...["--namespace", namespace, "--probe-interval-seconds", "1"],
      ...(opts.operatorArgs ?? []),
    ]);
    operators.push(op);
    return op;
  };
  await start();
  const links = { operatorHub, operatorMember, operatorDb, agentHub, agentPeer };
  return {
    namespace,
    hub,
    members,
    clusters,
    pg,
    bind,
    checker,
    links,
    agents,
    operators,
    startOperator: start,
    isolate(region, mode = "cut") {
      const touching = [
        operatorMember[region],
        operatorDb[region],
        agentHub[region],
        ...Object.entries(agentPeer)
          .filter(([k]) => k.split(">").includes(region))
          .map(([, p]) => p),
      ];
      for (const p of touching) p?.[mode]();
    },
    heal() {
      for (const p of proxies) p.pass();
    },
    async teardown() {
      await checker.stop();
      for (const op of operators) await op.stop("SIGKILL");
      for (const a of Object.values(agents)) await a.stop("SIGKILL");
      for (const p of proxies) await p.close();
      for (const name of Object.values(clusters)) {
        await api
          .deleteClusterCustomObject({ group, version, plural: "memberclusters", name })
          .catch(() => undefined);
      }
      await bind.stop();
      await pg.teardown();
    },
  };
}

/** Waits until the app's pre-flight says a failover would succeed: everything is observed and healthy. */
export async function waitFailoverReady(app: PartitionedApp, timeoutMs = 60_000): Promise<void> {
  await pollUntil("FailoverReady", timeoutMs, async () => {
    const got = (await custom(app.hub).getNamespacedCustomObject({
      group,
      version,
      plural: "regionalapps",
      namespace: app.namespace,
      name: "checkout",
    })) as { status?: { conditions?: { type: string; status: string }[] } };
    return got.status?.conditions?.find((c) => c.type === "FailoverReady")?.status === "True";
  });
}
