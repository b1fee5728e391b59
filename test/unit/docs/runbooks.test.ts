// Every condition and Event reason has a runbook page, docs/runbooks/<Reason>.md, and every page
// belongs to a reason: alerts link to these pages by reason (runbook_url), so a reason without a
// page is an alert that leads nowhere, and a page without a reason is one nobody will ever reach.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Reason } from "../../../src/api/reasons.ts";

const dir = resolve(import.meta.dirname, "../../../docs/runbooks");
const reasons = Object.values(Reason).sort();
const pages = readdirSync(dir)
  .filter((f) => f.endsWith(".md") && f !== "README.md")
  .map((f) => f.slice(0, -".md".length))
  .sort();
const read = (name: string) => readFileSync(join(dir, `${name}.md`), "utf8");

describe("runbooks", () => {
  it("has a page docs/runbooks/<Reason>.md for every reason in src/api/reasons.ts", () => {
    const missing = reasons.filter((r) => !pages.includes(r));
    expect(missing, `write docs/runbooks/<Reason>.md for: ${missing.join(", ")}`).toEqual([]);
  });

  it("has no page for a reason that does not exist", () => {
    const orphans = pages.filter((p) => !(reasons as string[]).includes(p));
    expect(orphans, `no reason in src/api/reasons.ts for: ${orphans.join(", ")}`).toEqual([]);
  });

  it.each(pages)(
    "%s.md is titled by its reason and says what it means, what to check, what to do",
    (name) => {
      const text = read(name);
      expect(text.split("\n")[0]).toBe(`# ${name}`);
      for (const section of ["## What it means", "## What to check", "## What to do"]) {
        expect(text, `${name}.md lacks "${section}"`).toContain(`\n${section}\n`);
      }
    },
  );

  it("lists every page in docs/runbooks/README.md", () => {
    const index = readFileSync(join(dir, "README.md"), "utf8");
    const unlisted = pages.filter((p) => !index.includes(`](${p}.md)`));
    expect(unlisted, `add to docs/runbooks/README.md: ${unlisted.join(", ")}`).toEqual([]);
  });

  it("links only to files that exist", () => {
    const broken: string[] = [];
    for (const name of [...pages, "README"]) {
      for (const [, target] of read(name).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (!target || /^[a-z]+:/.test(target)) continue; // a URL, not a file of this repository
        if (!existsSync(resolve(dirname(join(dir, `${name}.md`)), target)))
          broken.push(`${name}.md → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
