// Runs Argo CD resource customizations (health.lua, actions/discovery.lua, actions/<a>/action.lua)
// in Debian's lua5.1 inside a sandbox shaped like Argo CD's VM (argocd-sandbox.lua).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const sandbox = readFileSync(resolve(import.meta.dirname, "argocd-sandbox.lua"), "utf8");

/** What os.time() returns to the scripts, so names derived from it are stable in tests. */
export const fixedTime = 1_700_000_000;

/** A JSON value as a Lua 5.1 literal (strings byte-escaped: 5.1 has no \u escapes). */
export function luaLiteral(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  if (typeof v === "string") {
    const bytes = [...Buffer.from(v, "utf8")];
    return `"${bytes.map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`)).join("")}"`;
  }
  if (Array.isArray(v)) return `{${v.map(luaLiteral).join(", ")}}`;
  const entries = Object.entries(v as Record<string, unknown>).map(
    ([k, x]) => `[${luaLiteral(k)}] = ${luaLiteral(x)}`,
  );
  return `{${entries.join(", ")}}`;
}

/** Runs the script at `path` with `obj` (and action parameters); returns its result or error. */
export async function runArgocdScript(
  path: string,
  obj: unknown,
  params: Record<string, string> = {},
): Promise<{ result?: unknown; error?: string }> {
  const call = `run_argocd_script(${luaLiteral(path)}, ${luaLiteral(obj)}, ${luaLiteral(params)}, ${fixedTime})\n`;
  const child = run("lua5.1", ["-"], { maxBuffer: 16 * 1024 * 1024 });
  child.child.stdin?.end(`${sandbox}\n${call}`);
  const { stdout } = await child;
  return JSON.parse(stdout) as { result?: unknown; error?: string };
}

/**
 * Lua cannot tell an empty object from an empty array, and Argo CD's own comparison forgives the
 * difference; so does this one: both become {}.
 */
export function normalizeEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? {} : v.map(normalizeEmpty);
  if (v && typeof v === "object") {
    const entries = Object.entries(v).map(([k, x]) => [k, normalizeEmpty(x)] as const);
    return Object.fromEntries(entries);
  }
  return v;
}
