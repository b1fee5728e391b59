// A stand-in for CloudNativePG's operator in the kwok test bed, where its real instances (PostgreSQL
// pods) cannot run. It follows the replica-cluster transitions CloudNativePG documents
// (docs/src/replica_cluster.md, v1.30.0) on real Cluster objects validated by CloudNativePG's real
// CRD: a primary whose spec.replica.primary names another cluster is demoted and then writes
// status.demotionToken (base64 JSON from pg_controldata); a replica whose spec.replica.primary names
// itself is promoted only with a promotion token whose system identifier matches and whose REDO
// location it has replayed, then sets status.lastPromotionToken; a bad token makes the Cluster
// "unrecoverable", as CloudNativePG does. It also keeps a log of every role change, so a test can
// assert that at no observation two Clusters were primary. Everything else CloudNativePG does is
// not simulated (docs/cloudnative-pg.md lists it).
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { parse } from "yaml";
import { type CnpgCluster, cnpgClusters, isReplica } from "../../src/promotion/cloudnative-pg/cluster.ts";
import { pollUntil } from "./poll.ts";
import { kubeConfigFor, type Region } from "./testbed.ts";

const crdPath = resolve(import.meta.dirname, "../fixtures/cloudnative-pg/postgresql.cnpg.io_clusters.yaml");
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const healthy = "Cluster in healthy state";
const promoting = "Promoting to primary cluster";
const unrecoverable = "Cluster is unrecoverable and needs manual intervention";
const systemId = "7300000000000000001";

/** Installs CloudNativePG's real Cluster CRD (test/fixtures/cloudnative-pg) and waits until it is served. */
export async function installCnpgCrd(region: Region): Promise<void> {
  const crd = parse(await readFile(crdPath, "utf8")) as V1CustomResourceDefinition;
  const api = kubeConfigFor(region).makeApiClient(ApiextensionsV1Api);
  const name = crd.metadata?.name as string;
  await api.patchCustomResourceDefinition(
    { name, body: crd, fieldManager: "meridian-tests", force: true },
    setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
  );
  await pollUntil("CloudNativePG Cluster CRD established", 30_000, async () => {
    const live = await api.readCustomResourceDefinition({ name });
    return live.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
}

/** A Cluster of a two-region distributed topology, as CloudNativePG's docs write one. */
export function distributedCluster(name: string, namespace: string, primary: string, peers: string[]) {
  const source = peers.find((p) => p !== name) ?? primary;
  return {
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Cluster",
    metadata: { name, namespace },
    spec: {
      instances: 1,
      storage: { size: "1Gi" },
      externalClusters: peers.map((p) => ({
        name: p,
        connectionParameters: { host: `${p}-rw.example.test`, user: "streaming_replica", dbname: "postgres" },
      })),
      replica: { primary, source },
    },
  };
}

interface Watched {
  region: Region;
  namespace: string;
  name: string;
}

export interface RoleChange {
  at: number;
  cluster: string;
  role: "primary" | "replica";
}

export class SimulatedCnpg {
  /** Role changes in order, with the time the simulated instance took the new role. */
  readonly roles: RoleChange[] = [];
  /** Observations at which more than one Cluster's instance was primary. */
  readonly twoPrimaries: string[] = [];
  /** When set, promotion tokens are refused as CloudNativePG refuses a token of another system. */
  rejectTokens = false;
  readonly #clusters: Watched[];
  readonly #role = new Map<string, "primary" | "replica">();
  /** The REDO location each instance has written or replayed (its WAL position, simulated). */
  readonly #position = new Map<string, number>();
  /** The furthest WAL position any primary wrote. */
  #written = 0;
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(clusters: Watched[]) {
    this.#clusters = clusters;
  }

  /** Creates the Clusters' initial status (primary or replica by spec) and starts the loop. */
  async start(): Promise<void> {
    for (const w of this.#clusters) {
      const c = await this.#read(w);
      const role = isReplica(c) ? "replica" : "primary";
      this.#setRole(w.name, role);
      this.#position.set(w.name, 0x3000060);
      await this.#status(w, {
        phase: healthy,
        instances: 1,
        readyInstances: 1,
        currentPrimary: role === "primary" ? `${w.name}-1` : "",
        conditions: [ready(true)],
      });
    }
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      for (const w of this.#clusters) {
        await this.#step(w).catch(() => undefined); // an API hiccup: the next round retries
      }
      const primaries = [...this.#role].filter(([, r]) => r === "primary").map(([n]) => n);
      if (primaries.length > 1) this.twoPrimaries.push(`${Date.now()}: ${primaries.join(", ")}`);
      // The primary keeps writing (its WAL position moves on); replicas replay towards the last
      // position any primary wrote, a little behind.
      for (const [name, role] of this.#role) {
        if (role !== "primary") continue;
        const at = (this.#position.get(name) ?? 0) + 0x100;
        this.#position.set(name, at);
        this.#written = Math.max(this.#written, at);
      }
      for (const [name, role] of this.#role) {
        if (role === "replica") {
          this.#position.set(name, Math.min(this.#written, (this.#position.get(name) ?? 0) + 0x200));
        }
      }
      await delay(100);
    }
  }

  async #step(w: Watched): Promise<void> {
    const c = await this.#read(w);
    const role = this.#role.get(w.name);
    if (role === "primary" && isReplica(c)) {
      // Demotion: shut down with a checkpoint, then restart as a designated primary replica.
      if (!c.status?.switchReplicaClusterStatus?.inProgress) {
        await this.#status(w, { switchReplicaClusterStatus: { inProgress: true } });
        this.#setRole(w.name, "replica");
        return;
      }
    }
    if (role === "replica" && c.status?.switchReplicaClusterStatus?.inProgress) {
      const token = Buffer.from(
        JSON.stringify({
          latestCheckpointTimelineID: "1",
          redoWalFile: "000000010000000000000003",
          databaseSystemIdentifier: systemId,
          latestCheckpointREDOLocation: lsn(this.#position.get(w.name) ?? 0),
          timeOfLatestCheckpoint: new Date().toUTCString(),
          operatorVersion: "1.30.0-simulated",
        }),
      ).toString("base64");
      await this.#status(w, {
        demotionToken: token,
        currentPrimary: "",
        switchReplicaClusterStatus: { inProgress: false },
      });
      return;
    }
    const token = c.spec?.replica?.promotionToken;
    if (role === "replica" && !isReplica(c) && token && token !== c.status?.lastPromotionToken) {
      if (c.status?.phase === unrecoverable) return;
      const content = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as Record<string, string>;
      if (this.rejectTokens || content.databaseSystemIdentifier !== systemId) {
        await this.#status(w, {
          phase: unrecoverable,
          phaseReason: "Promotion token content is not correct for current instance",
          conditions: [ready(false)],
        });
        return;
      }
      // Replay up to the token's REDO location (from its primary, now demoted) before promoting.
      const target = Number.parseInt(String(content.latestCheckpointREDOLocation).split("/")[1] ?? "0", 16);
      const at = this.#position.get(w.name) ?? 0;
      if (at < target || c.status?.phase !== promoting) {
        if (c.status?.phase !== promoting) await this.#status(w, { phase: promoting });
        return;
      }
      this.#setRole(w.name, "primary");
      await this.#status(w, {
        phase: healthy,
        currentPrimary: `${w.name}-1`,
        lastPromotionToken: token,
        conditions: [ready(true)],
      });
    }
  }

  #setRole(cluster: string, role: "primary" | "replica"): void {
    this.#role.set(cluster, role);
    this.roles.push({ at: Date.now(), cluster, role });
  }

  async #read(w: Watched): Promise<CnpgCluster> {
    return (await kubeConfigFor(w.region)
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ ...cnpgClusters, namespace: w.namespace, name: w.name })) as CnpgCluster;
  }

  async #status(w: Watched, status: Record<string, unknown>): Promise<void> {
    await kubeConfigFor(w.region)
      .makeApiClient(CustomObjectsApi)
      .patchNamespacedCustomObjectStatus(
        { ...cnpgClusters, namespace: w.namespace, name: w.name, body: { status } },
        mergePatch,
      );
  }
}

function ready(ok: boolean) {
  return {
    type: "Ready",
    status: ok ? "True" : "False",
    reason: ok ? "ClusterIsReady" : "ClusterIsNotReady",
    message: ok ? "Cluster is Ready" : "Cluster Is Not Ready",
    lastTransitionTime: new Date().toISOString(),
  };
}

function lsn(position: number): string {
  return `0/${position.toString(16).toUpperCase()}`;
}
