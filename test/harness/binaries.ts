import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../..");

/**
 * The folder holding the pinned kube-apiserver, etcd, kwok, kwokctl, ... binaries.
 * `MERIDIAN_BIN_DIR` wins; otherwise hack/build-binaries.sh is asked, which returns at once when
 * the cache is warm and builds from the Go module proxy when it is not.
 */
export async function binariesDir(): Promise<string> {
  const fromEnv = process.env.MERIDIAN_BIN_DIR;
  if (fromEnv) return fromEnv;
  const { stdout } = await run("bash", [resolve(repoRoot, "hack/build-binaries.sh")], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const dir = stdout.trim().split("\n").at(-1);
  if (!dir) throw new Error("hack/build-binaries.sh printed no binaries folder");
  return dir;
}

/**
 * The real ExternalDNS binary (rfc2136 provider included). `MERIDIAN_EXTERNAL_DNS` wins; otherwise
 * hack/build-externaldns.sh is asked, which returns at once when it is cached and builds it from
 * the Go module proxy when it is not (~7 min cold on 2 cores).
 */
export async function externalDnsBinary(): Promise<string> {
  const fromEnv = process.env.MERIDIAN_EXTERNAL_DNS;
  if (fromEnv) return fromEnv;
  const { stdout } = await run("bash", [resolve(repoRoot, "hack/build-externaldns.sh")], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const binary = stdout.trim().split("\n").at(-1);
  if (!binary) throw new Error("hack/build-externaldns.sh printed no binary path");
  return binary;
}
