// The TSIG key of an rfc2136 provider, from the Kubernetes Secret named by
// spec.dns.provider.rfc2136.tsigSecretRef in the RegionalApp's namespace. The Secret holds the
// same three things as BIND's key statement: `name`, `secret` (base64) and optionally
// `algorithm` (default hmac-sha256).
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { Reason } from "../api/reasons.ts";
import { describeApiError, statusCode } from "../runtime/api-errors.ts";
import { DnsError } from "./provider.ts";
import { WireError } from "./wire/errors.ts";
import { parseName } from "./wire/name.ts";
import { isTsigAlgorithm, type TsigKey, tsigAlgorithms } from "./wire/tsig.ts";

export const defaultTsigAlgorithm = "hmac-sha256";

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key in a Secret's data (base64-encoded values, as the API returns them); `where` names the Secret. */
export function tsigKeyFromSecretData(data: Record<string, string> | undefined, where: string): TsigKey {
  const value = (k: string) => {
    const v = data?.[k];
    return v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8").trim();
  };
  const layout = `it needs "name" (the key's name on the DNS server), "secret" (base64, as in the server's key statement) and optionally "algorithm" (default ${defaultTsigAlgorithm})`;
  const name = value("name");
  const secret = value("secret");
  const algorithm = (value("algorithm") || defaultTsigAlgorithm).toLowerCase().replace(/\.$/, "");
  const invalid = (problem: string) =>
    new DnsError(Reason.DnsCredentialsInvalid, `TSIG Secret ${where} ${problem}`);
  if (!name) throw invalid(`has no "name": ${layout}`);
  if (!secret) throw invalid(`has no "secret": ${layout}`);
  try {
    parseName(name);
  } catch (err) {
    if (err instanceof WireError) throw invalid(`has a "name" that is not a DNS name: ${err.message}`);
    throw err;
  }
  if (!base64.test(secret) || secret.length % 4 === 1) {
    throw invalid(
      `has a "secret" that is not base64; copy it from the server's key statement (secret "...";)`,
    );
  }
  if (!isTsigAlgorithm(algorithm)) {
    throw invalid(
      `names algorithm ${algorithm}, which Meridian does not sign with; use one of ${Object.keys(tsigAlgorithms).join(", ")}`,
    );
  }
  return { name, algorithm, secret: Buffer.from(secret, "base64") };
}

/** Reads the key at every call, so a rotated Secret takes effect at the next update. */
export function tsigKeyReader(kc: KubeConfig, namespace: string, secretName: string): () => Promise<TsigKey> {
  const core = kc.makeApiClient(CoreV1Api);
  const where = `${namespace}/${secretName}`;
  return async () => {
    let secret: Awaited<ReturnType<CoreV1Api["readNamespacedSecret"]>>;
    try {
      secret = await core.readNamespacedSecret({ namespace, name: secretName });
    } catch (err) {
      const code = statusCode(err);
      const fix =
        code === 404
          ? `create it: kubectl -n ${namespace} create secret generic ${secretName} --from-literal=name=<key name> --from-literal=secret=<base64 secret> [--from-literal=algorithm=${defaultTsigAlgorithm}]`
          : code === 403
            ? `the operator's ServiceAccount may not read it; grant it get on secrets in ${namespace}`
            : "the API server did not return it";
      throw new DnsError(
        Reason.DnsTsigSecretUnavailable,
        `TSIG Secret ${where} (spec.dns.provider.rfc2136.tsigSecretRef) cannot be read (${describeApiError(err)}): ${fix}`,
      );
    }
    return tsigKeyFromSecretData(secret.data, where);
  };
}
