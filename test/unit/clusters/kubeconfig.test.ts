import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadMemberKubeconfig } from "../../../src/clusters/kubeconfig.ts";

const source = "Secret meridian-system/us-east-kubeconfig key kubeconfig";

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "us-east",
    contexts: [{ name: "us-east", context: { cluster: "us-east", user: "admin" } }],
    clusters: [{ name: "us-east", cluster: { server: "https://127.0.0.1:6443", ...cluster } }],
    users: [{ name: "admin", user }],
  });
}

describe("loadMemberKubeconfig", () => {
  it("accepts embedded credentials and reports the server", () => {
    const loaded = loadMemberKubeconfig(kubeconfig({ token: "abc" }), source, false);
    expect(loaded).toMatchObject({ ok: true, server: "https://127.0.0.1:6443" });
  });

  const refused: [string, string, "KubeconfigInvalid" | "ExecAuthRefused", RegExp][] = [
    ["not YAML", "{{{", "KubeconfigInvalid", /not a valid kubeconfig/],
    [
      "no current-context",
      stringify({ apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] }),
      "KubeconfigInvalid",
      /current-context/,
    ],
    [
      "an exec plugin",
      kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "aws" } }),
      "ExecAuthRefused",
      /exec plugin \(aws\).*spec\.allowExecAuth: true/,
    ],
    [
      "an auth-provider",
      kubeconfig({ "auth-provider": { name: "gcp", config: {} } }),
      "ExecAuthRefused",
      /auth-provider/,
    ],
    [
      "a CA file path",
      kubeconfig({ token: "abc" }, { "certificate-authority": "/etc/ca.crt" }),
      "KubeconfigInvalid",
      /certificate-authority: \/etc\/ca\.crt.*certificate-authority-data/,
    ],
    [
      "a client key path",
      kubeconfig({ "client-certificate": "/c.crt", "client-key": "/c.key" }),
      "KubeconfigInvalid",
      /client-key: \/c\.key/,
    ],
    [
      "a token file (the operator's own service-account token)",
      kubeconfig({ tokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" }),
      "KubeconfigInvalid",
      /tokenFile: \/var\/run\/secrets/,
    ],
  ];
  it.each(refused)("refuses %s with a reason and a fix", (_what, text, reason, message) => {
    const loaded = loadMemberKubeconfig(text, source, false);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problem.reason).toBe(reason);
    expect(loaded.problem.message).toMatch(message);
    expect(loaded.problem.message).toContain(source);
  });

  it("allows an exec plugin when spec.allowExecAuth is true", () => {
    const text = kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "aws" } });
    expect(loadMemberKubeconfig(text, source, true).ok).toBe(true);
  });
});
