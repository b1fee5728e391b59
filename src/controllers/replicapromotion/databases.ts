import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { RegionalApp } from "../../api/types.generated.ts";
import type { DatabaseEndpoint } from "../../promotion/promoter.ts";
import { ConfigurationError } from "../../runtime/errors.ts";

/**
 * The database endpoint of one region of an app: the `uri` key of the Secret named in
 * spec.regions[].database.connectionSecretRef, in the app's namespace on the hub.
 */
export async function databaseOf(
  hub: KubeConfig,
  app: RegionalApp,
  region: string,
): Promise<DatabaseEndpoint> {
  const spec = app.spec.regions.find((r) => r.name === region);
  const secretName = spec?.database?.connectionSecretRef.name;
  const namespace = app.metadata?.namespace ?? "";
  if (!secretName) {
    throw new ConfigurationError(
      `spec.regions[${region}].database.connectionSecretRef is required for engine ${app.spec.database.engine}`,
    );
  }
  const secret = await hub
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
