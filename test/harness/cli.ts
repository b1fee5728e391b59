import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import type { Region } from "./testbed.ts";

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** The hub's kubeconfig as a file, as a person passes it with --kubeconfig. */
export function kubeconfigFile(hub: Region): string {
  const path = join(mkdtempSync(join(tmpdir(), "meridian-cli-")), "kubeconfig");
  writeFileSync(path, hub.kubeconfig);
  return path;
}

/**
 * Runs the meridian CLI in-process as a person would type it, collecting what it prints. `out`
 * receives every line as it is printed (for --watch); `signal` plays Ctrl-C; `answer` is what the
 * person answers a confirmation prompt.
 */
export async function runCli(
  argv: string[],
  opts: { signal?: AbortSignal; answer?: boolean; out?: (line: string) => void } = {},
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => {
      out.push(l);
      opts.out?.(l);
    },
    (l) => err.push(l),
    {
      ...(opts.signal ? { signal: opts.signal } : {}),
      confirm: async () => opts.answer ?? false,
    },
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}
