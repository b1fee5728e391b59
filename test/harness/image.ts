import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const hack = resolve(import.meta.dirname, "../../hack/image");

/**
 * The chart's pod security settings as podman flags: uid 10001, read-only root filesystem (and no
 * writable /tmp slipped in by podman), no capabilities, no privilege escalation.
 */
export const hardened = [
  "--read-only",
  "--read-only-tmpfs=false",
  "--cap-drop=ALL",
  "--user=10001",
  "--security-opt=no-new-privileges",
];

/**
 * Builds the repository's Dockerfile as CI does (hack/image/build.sh: stand-in base image, cached
 * layers; minutes on a cold machine, seconds on a warm one). Returns what the build reported.
 */
export async function buildImage(tag: string): Promise<string> {
  const { stderr } = await run(resolve(hack, "build.sh"), [tag], { maxBuffer: 64 * 1024 * 1024 });
  return stderr
    .split("\n")
    .filter((l) => /^\[(image|base-image)\]/.test(l))
    .join("\n");
}

/** podman against Meridian's container storage (hack/image/podman.sh); resolves with stdout. */
export async function podman(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(resolve(hack, "podman.sh"), args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`podman ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
  }
}
