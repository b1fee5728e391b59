// Writes the CRDs (crds/), the TypeScript types (src/api/types.generated.ts) and the reference docs
// (docs/api.md) from the schemas in src/api/schema/.
//   npm run generate                  # write them
//   npm run check:generated           # exit 1 and name the stale files when they differ from the schemas
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { renderApiFiles, repoRoot } from "../src/api/codegen/render.ts";

const checkOnly = process.argv.includes("--check");
const stale: string[] = [];
for (const file of renderApiFiles()) {
  const path = resolve(repoRoot, file.path);
  const current = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (current === file.content) continue;
  stale.push(file.path);
  if (checkOnly) continue;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
}
if (checkOnly && stale.length > 0) {
  console.error(`generated files are out of date; run npm run generate:\n  ${stale.join("\n  ")}`);
  process.exit(1);
}
console.log(stale.length > 0 ? `wrote ${stale.join(", ")}` : "generated files are up to date");
