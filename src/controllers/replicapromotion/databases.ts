import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { RegionalApp } from "../../api/types.generated.ts";
import type { DatabaseEndpoint, MemberDatabase } from "../../promotion/promoter.ts";
import { ConfigurationError } from "../../runtime/errors.ts";

/** What finding a region's database needs: the hub (Secrets) and the member clusters' clients. */
export interface DatabaseLookup {
  hub: KubeConfig;
  /** Member cluster clients by MemberCluster name (the ClusterRegistry, or the CLI's one member). */
  registry: { get(cluster: string): { kc: KubeConfig } | undefined };
}

/**
 * The database endpoint of one region of an app. Engine postgresql: the `uri` key of the Secret
 * named in spec.regions[].database.connectionSecretRef, in the app's namespace on the hub.
 * cloudnative-pg and job: the region's member cluster and what the engine acts on there; with
 * `move`, the other side of the move as its peer (a fence demotes towards the successor, a
 * promotion reads the fenced primary's token).
 */
export async function databaseOf(
  lookup: DatabaseLookup,
  app: RegionalApp,
  region: string,
  move?: MemberDatabase["move"],
): Promise<DatabaseEndpoint> {
  const engine = app.spec.database.engine;
  if (engine === "cloudnative-pg" || engine === "job") {
    const member = memberDatabase(lookup, app, region, move);
    const peerRegion = move && (region === move.from ? move.to : move.from);
    const peer = peerRegion && {
      region: peerRegion,
      uri: "",
      member: memberDatabase(lookup, app, peerRegion, move),
    };
    return { region, uri: "", member: { ...member, ...(peer ? { peer } : {}) } };
  }
  const spec = app.spec.regions.find((r) => r.name === region);
  const secretName = spec?.database?.connectionSecretRef?.name;
  const namespace = app.metadata?.namespace ?? "";
  if (!secretName) {
    throw new ConfigurationError(
      `spec.regions[${region}].database.connectionSecretRef is required for engine ${engine}`,
    );
  }
  const secret = await lookup.hub
    .makeApiClient(CoreV1Api)
    .readNamespacedSecret({ name: secretName, namespace })
    .catch(() => undefined);
  const uri = secret?.data?.uri;
  if (!uri)
    throw new ConfigurationError(
      `Secret ${namespace}/${secretName} (region ${region}) is missing or has no key "uri"`,
    );
  return { region, uri: Buffer.from(uri, "base64").toString("utf8") };
}

function memberDatabase(
  lookup: DatabaseLookup,
  app: RegionalApp,
  region: string,
  move: MemberDatabase["move"],
): MemberDatabase {
  const namespace = app.metadata?.namespace ?? "";
  const spec = app.spec.regions.find((r) => r.name === region);
  if (!spec) throw new ConfigurationError(`region ${region} is not in spec.regions`);
  const client = lookup.registry.get(spec.clusterRef);
  if (!client) throw new Error(`no client for MemberCluster ${spec.clusterRef} (region ${region}) yet`);
  const cnpg = spec.database?.cloudNativePG;
  const jobs = app.spec.database.job;
  if (app.spec.database.engine === "cloudnative-pg" && !cnpg) {
    throw new ConfigurationError(
      `spec.regions[${region}].database.cloudNativePG.clusterName is required for engine cloudnative-pg`,
    );
  }
  if (app.spec.database.engine === "job" && !jobs) {
    throw new ConfigurationError("spec.database.job is required for engine job");
  }
  return {
    kc: client.kc,
    app: { namespace, name: app.metadata?.name ?? "" },
    ...(cnpg ? { cluster: { namespace: cnpg.namespace ?? namespace, name: cnpg.clusterName } } : {}),
    ...(jobs ? { jobs: { namespace: jobs.namespace ?? namespace, templates: jobs } } : {}),
    ...(move ? { move } : {}),
  };
}
