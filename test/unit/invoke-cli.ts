import { main } from "../../src/cli/main.ts";

/** Runs the meridian program in-process and collects what it printed and its exit code. */
export async function invokeCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}
