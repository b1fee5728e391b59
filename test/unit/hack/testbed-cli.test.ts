// `npm run testbed` works in the folder MERIDIAN_TESTBED_DIR names, as the README says. Checked
// without starting a cluster: `kubeconfig` only reads <dir>/clusters/meridian-<region>/kubeconfig.yaml.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = resolve(import.meta.dirname, "../../../hack/testbed.ts");
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("npm run testbed", () => {
  it("reads the clusters in MERIDIAN_TESTBED_DIR", async () => {
    const dir = await mkdtemp(join(tmpdir(), "meridian-testbed-dir-"));
    dirs.push(dir);
    await mkdir(join(dir, "clusters", "meridian-somewhere"), { recursive: true });
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]",
      "users: [{name: u, user: {token: t}}]",
      "contexts: [{name: x, context: {cluster: c, user: u}}]",
      "current-context: x",
    ].join("\n");
    await writeFile(join(dir, "clusters", "meridian-somewhere", "kubeconfig.yaml"), kubeconfig);
    const { stdout } = await run(process.execPath, [script, "kubeconfig", "somewhere"], {
      // No binaries are needed to read a kubeconfig; a folder that does not exist proves it.
      env: { ...process.env, MERIDIAN_TESTBED_DIR: dir, MERIDIAN_BIN_DIR: join(dir, "no-binaries") },
    });
    expect(stdout).toContain("server: https://127.0.0.1:6443");
  }, 30_000); // a fresh node process loading @kubernetes/client-node: seconds on a busy machine
});
