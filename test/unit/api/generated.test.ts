import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { chartCrdDir } from "../../../src/api/codegen/chart-crd.ts";
import { renderApiFiles, repoRoot } from "../../../src/api/codegen/render.ts";

// The CRDs, the TypeScript types and docs/api.md all come from src/api/schema. When one of them is
// edited by hand, or the schema changes without `npm run generate`, this fails.
describe("generated API files", () => {
  const files = renderApiFiles();

  it.each(files.map((f) => [f.path, f.content]))("%s matches the schemas", (path, content) => {
    const onDisk = readFileSync(resolve(repoRoot, path), "utf8");
    expect(onDisk, `${path} is stale: run npm run generate`).toBe(content);
  });

  it.each(["crds", chartCrdDir])("leaves no CRD in %s/ that the schemas no longer define", (dir) => {
    const generated = files
      .filter((f) => f.path.startsWith(`${dir}/`))
      .map((f) => f.path.slice(dir.length + 1));
    expect(generated.length).toBeGreaterThan(0);
    expect(readdirSync(resolve(repoRoot, dir)).sort()).toEqual(generated.sort());
  });
});
