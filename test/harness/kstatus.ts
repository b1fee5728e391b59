import { execFile, spawn } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

/** What cli-utils' kstatus.Compute says about one object (hack/kstatus). */
export interface KstatusVerdict {
  kind: string;
  name: string;
  status: "InProgress" | "Failed" | "Current" | "Terminating" | "NotFound" | "Unknown";
  message: string;
}

let binary: Promise<string> | undefined;

/** hack/kstatus built (or found in the cache) by hack/build-kstatus.sh, once per test process. */
function kstatusBinary(): Promise<string> {
  binary ??= run("bash", [resolve(repoRoot, "hack/build-kstatus.sh")], { maxBuffer: 4 * 1024 * 1024 }).then(
    ({ stdout }) => {
      const path = stdout.trim().split("\n").at(-1);
      if (!path) throw new Error("hack/build-kstatus.sh printed no path");
      return path;
    },
  );
  return binary;
}

/** kstatus's verdict on each object, as Flux's health checks and kpt's --wait compute it. */
export async function kstatus(...objects: object[]): Promise<KstatusVerdict[]> {
  const bin = await kstatusBinary();
  return new Promise((ok, fail) => {
    const child = spawn(bin, [], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", fail);
    child.on("close", (code) => {
      if (code !== 0) return fail(new Error(`kstatus exited ${code}: ${err}`));
      ok(
        out
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as KstatusVerdict),
      );
    });
    child.stdin.end(objects.map((o) => JSON.stringify(o)).join("\n"));
  });
}
