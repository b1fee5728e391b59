import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";

/** Why a member cluster's kubeconfig cannot be used; `reason` becomes the condition reason. */
export interface KubeconfigProblem {
  reason: "KubeconfigInvalid" | "ExecAuthRefused";
  message: string;
}

export type LoadedKubeconfig =
  | { ok: true; kc: KubeConfig; server: string }
  | { ok: false; problem: KubeconfigProblem };

/**
 * Parses a member cluster's kubeconfig (from a Secret) and refuses what would be unsafe inside the
 * operator's pod: exec and auth-provider users run code there (unless `allowExecAuth`), and file
 * references (a CA path, a client key path, a token file) would read the operator's own files,
 * such as its service-account token, and present them to whatever server the kubeconfig names.
 * `source` names the Secret and key in messages.
 */
export function loadMemberKubeconfig(text: string, source: string, allowExecAuth: boolean): LoadedKubeconfig {
  const invalid = (message: string): LoadedKubeconfig => ({
    ok: false,
    problem: { reason: "KubeconfigInvalid", message: `${source}: ${message}` },
  });
  let raw: unknown;
  const kc = new KubeConfig();
  try {
    raw = parse(text);
    kc.loadFromString(text);
  } catch (err) {
    return invalid(
      `not a valid kubeconfig (${err instanceof Error ? err.message.split("\n")[0] : err}); store the output of \`kubectl config view --flatten --minify\``,
    );
  }
  const contextName = kc.getCurrentContext();
  const context = kc.getContextObject(contextName);
  if (!contextName || !context) {
    return invalid("has no usable current-context; set current-context to the context for this cluster");
  }
  const cluster = kc.getCluster(context.cluster);
  if (!cluster?.server) {
    return invalid(
      `context "${contextName}" names cluster "${context.cluster}", which is missing or has no server`,
    );
  }
  const user = kc.getUser(context.user);
  if (!user) return invalid(`context "${contextName}" names user "${context.user}", which is missing`);

  if ((user.exec || user.authProvider) && !allowExecAuth) {
    const what = user.exec
      ? `an exec plugin (${String(user.exec.command ?? "?")})`
      : "an auth-provider plugin";
    return {
      ok: false,
      problem: {
        reason: "ExecAuthRefused",
        message: `${source}: user "${user.name}" authenticates with ${what}, which would run code inside the operator's pod; use a token or client certificate, or set spec.allowExecAuth: true if you trust it`,
      },
    };
  }
  const fileRefs = [
    cluster.caFile && `certificate-authority: ${cluster.caFile}`,
    user.certFile && `client-certificate: ${user.certFile}`,
    user.keyFile && `client-key: ${user.keyFile}`,
    rawTokenFile(raw, user.name) && `tokenFile: ${rawTokenFile(raw, user.name)}`,
  ].filter(Boolean);
  if (fileRefs.length > 0) {
    return invalid(
      `refers to files (${fileRefs.join(", ")}) that would be read from the operator's own filesystem; embed the data instead (certificate-authority-data, client-certificate-data, client-key-data, token), e.g. with \`kubectl config view --flatten --minify\``,
    );
  }
  return { ok: true, kc, server: cluster.server };
}

/** client-node ignores tokenFile, so look for it in the raw document. */
function rawTokenFile(raw: unknown, userName: string): string | undefined {
  const users = (raw as { users?: { name?: string; user?: Record<string, unknown> }[] })?.users ?? [];
  const value = users.find((u) => u.name === userName)?.user?.tokenFile;
  return typeof value === "string" ? value : undefined;
}
