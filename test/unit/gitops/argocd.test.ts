// Argo CD's resource customizations for Meridian's kinds, tested as Argo CD's own repository tests
// its resource_customizations: every health.lua against its health_test.yaml cases, every
// actions/discovery.lua and action against actions/action_test.yaml, in a Lua 5.1 VM.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { normalizeEmpty, runArgocdScript } from "../../harness/argocd-lua.ts";

const root = resolve(import.meta.dirname, "../../../gitops/argocd/resource_customizations/meridian.dev");
const kinds = readdirSync(root);
const load = (dir: string, file: string) => parse(readFileSync(join(dir, file), "utf8"));

interface HealthTests {
  tests: { inputPath: string; healthStatus: { status: string; message: string } }[];
}
interface ActionTests {
  discoveryTests: { inputPath: string; result: Record<string, unknown>[] }[];
  actionTests: {
    action: string;
    inputPath: string;
    expectedOutputPath?: string;
    expectedErrorMessage?: string;
    parameters?: Record<string, string>;
  }[];
}

it("covers every Meridian kind", () => {
  expect(kinds.sort()).toEqual(["FailoverPolicy", "MemberCluster", "RegionalApp", "ReplicaPromotion"]);
});

describe.each(kinds)("%s", (kind) => {
  const dir = join(root, kind);
  const health = load(dir, "health_test.yaml") as HealthTests;
  it.each(health.tests.map((t) => [t.inputPath, t] as const))("health of %s", async (_, t) => {
    const out = await runArgocdScript(join(dir, "health.lua"), load(dir, t.inputPath));
    expect(out.error).toBeUndefined();
    expect(out.result).toEqual(t.healthStatus);
  });

  const actionsDir = join(dir, "actions");
  if (!existsSync(actionsDir)) return;
  const actions = load(actionsDir, "action_test.yaml") as ActionTests;
  it.each(actions.discoveryTests.map((t) => [t.inputPath, t] as const))(
    "actions offered on %s",
    async (_, t) => {
      const out = await runArgocdScript(join(actionsDir, "discovery.lua"), load(actionsDir, t.inputPath));
      expect(out.error).toBeUndefined();
      // As Argo CD lists them: one entry per action, absent fields at their zero values.
      const offered = Object.entries(out.result as Record<string, Record<string, unknown>>).map(
        ([name, a]) => ({
          name,
          disabled: a.disabled ?? false,
          iconClass: a.iconClass ?? "",
          displayName: a.displayName ?? "",
          ...(a.params ? { params: a.params } : {}),
        }),
      );
      const byName = (x: { name?: unknown }, y: { name?: unknown }) =>
        String(x.name).localeCompare(String(y.name));
      expect(offered.sort(byName)).toEqual([...t.result].sort(byName));
    },
  );
  it.each(actions.actionTests.map((t) => [`${t.action} on ${t.inputPath}`, t] as const))(
    "%s",
    async (_, t) => {
      const out = await runArgocdScript(
        join(actionsDir, t.action, "action.lua"),
        load(actionsDir, t.inputPath),
        t.parameters ?? {},
      );
      if (t.expectedErrorMessage !== undefined) {
        expect(out.error).toBe(t.expectedErrorMessage);
        return;
      }
      expect(out.error).toBeUndefined();
      // An object is a patch of the source; a list holds {operation, resource} entries.
      const impacted = Array.isArray(out.result)
        ? (out.result as { operation: string; resource: unknown }[])
        : [{ operation: "patch", resource: out.result }];
      const expected = parseAllDocuments(
        readFileSync(join(actionsDir, t.expectedOutputPath ?? ""), "utf8"),
      ).map((d) => d.toJSON());
      expect(impacted.map((i) => normalizeEmpty(i.resource))).toEqual(expected.map(normalizeEmpty));
      const source = load(actionsDir, t.inputPath) as { kind: string; metadata: { name: string } };
      for (const i of impacted) {
        const r = i.resource as { kind: string; metadata: { name: string } };
        // Argo CD patches only the object the action runs on; anything else must be created.
        const isSource = r.kind === source.kind && r.metadata.name === source.metadata.name;
        expect(i.operation).toBe(isSource ? "patch" : "create");
      }
    },
  );
});
