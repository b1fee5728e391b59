// Everything `npm run generate` writes, computed in memory so the drift test can compare it with
// the files on disk.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { crdName, customResourceDefinition } from "../crds.ts";
import { kinds } from "../schema/kinds.ts";
import { chartCrdDir, chartCrdTemplate } from "./chart-crd.ts";
import { crdYaml } from "./crd-yaml.ts";
import { markdownReference } from "./markdown.ts";
import { typescriptTypes } from "./typescript.ts";

export const repoRoot = resolve(import.meta.dirname, "../../..");

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

/**
 * Formats TypeScript with the project's Biome settings, so the generated file passes `npm run lint`
 * without the generator re-implementing Biome's line breaking.
 */
function biomeFormat(path: string, source: string): string {
  const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
  return execFileSync(process.execPath, [biome, "format", `--stdin-file-path=${path}`], {
    cwd: repoRoot,
    input: source,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
}

export function renderApiFiles(): GeneratedFile[] {
  const typesPath = "src/api/types.generated.ts";
  return [
    ...kinds.map((kind) => ({
      path: `crds/${crdName(kind)}.yaml`,
      content: crdYaml(customResourceDefinition(kind)),
    })),
    ...kinds.map((kind) => ({
      path: `${chartCrdDir}/${crdName(kind)}.yaml`,
      content: chartCrdTemplate(customResourceDefinition(kind)),
    })),
    { path: typesPath, content: biomeFormat(typesPath, typescriptTypes(kinds)) },
    { path: "docs/api.md", content: markdownReference(kinds) },
  ];
}
