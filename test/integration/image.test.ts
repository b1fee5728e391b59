import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { buildImage, hardened, podman } from "../harness/image.ts";
import { installCrds } from "../harness/meridian.ts";
import { freePort } from "../harness/operator-process.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

// The image as users get it: the real Dockerfile, built with buildah against a stand-in base image
// (no registry is reachable here), run by podman with the chart's hardened settings.
const { region } = sharedTestbed();
const hub = region("us-east");
const ns = useNamespace([hub], "image");
const tag = "localhost/meridian:test";
const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const container = `meridian-image-test-${randomBytes(4).toString("hex")}`;
const kubeconfigDir = mkdtempSync(join(tmpdir(), "meridian-image-"));
/** A one-off container with the hardened settings and no network. */
const runImage = (args: string[], entrypoint: string[] = []) =>
  podman(["run", "--rm", ...hardened, "--network=none", ...entrypoint, tag, ...args]);

beforeAll(async () => {
  const started = performance.now();
  const report = await buildImage(tag);
  console.log(`${report}\n[image] build step took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await installCrds(hub);
}, 20 * 60_000);

afterAll(async () => {
  await podman(["rm", "--force", "--ignore", container]);
  rmSync(kubeconfigDir, { recursive: true, force: true });
});

describe("image: the Dockerfile built and run", () => {
  it("answers `version` and `operator --help` as uid 10001 on a read-only root without capabilities", async () => {
    expect((await runImage(["version"])).trim()).toBe(`meridian ${pkg.version}`);
    expect(await runImage(["operator", "--help"])).toMatch(/^usage: meridian operator \[flags\]/);
    expect((await podman(["image", "inspect", "--format", "{{.Config.User}}", tag])).trim()).toBe(
      "10001:10001",
    );
  });

  it("holds the production dependencies only, without type declarations, source maps or TypeScript", async () => {
    const script = `
      const { readdirSync } = require("node:fs");
      const files = readdirSync("/app", { recursive: true });
      console.log(JSON.stringify({
        modules: readdirSync("/app/node_modules"),
        stripped: files.filter((f) => /\\.(d\\.[cm]?ts|map|md)$/i.test(f)),
        typescript: files.filter((f) => /^(src|dist)\\/.*\\.ts$/.test(f)),
      }));`;
    const found = JSON.parse(await runImage(["-e", script], ["--entrypoint=node"])) as {
      modules: string[];
      stripped: string[];
      typescript: string[];
    };
    const scopeOrName = (dep: string) => dep.split("/")[0] as string;
    for (const dep of Object.keys(pkg.dependencies)) expect(found.modules).toContain(scopeOrName(dep));
    for (const dep of Object.keys(pkg.devDependencies)) {
      if (!dep.startsWith("@types/")) expect(found.modules).not.toContain(scopeOrName(dep));
    }
    expect(found.stripped).toEqual([]);
    expect(found.typescript).toEqual([]);
    const bytes = Number(await podman(["image", "inspect", "--format", "{{.Size}}", tag]));
    console.log(`[image] ${tag}: ${(bytes / 1e6).toFixed(0)} MB`);
  });

  it("runs the operator against the hub until /readyz answers; podman stop's SIGTERM ends it with exit 0 and the Lease handed back", async () => {
    const kubeconfig = join(kubeconfigDir, "kubeconfig");
    writeFileSync(kubeconfig, hub.kubeconfig);
    chmodSync(kubeconfig, 0o444); // uid 10001 reads it, as a mounted Secret
    const port = await freePort();
    await podman([
      "run",
      "--detach",
      `--name=${container}`,
      ...hardened,
      "--network=host", // the hub's API server listens on the host's loopback
      `--volume=${kubeconfig}:/etc/meridian/kubeconfig:ro`,
      "--env=KUBECONFIG=/etc/meridian/kubeconfig",
      tag,
      "operator",
      `--namespace=${ns()}`,
      `--metrics-port=${port}`,
    ]);
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    await pollUntil("/readyz answers 200", 60_000, async () => (await fetch(url("/readyz"))).ok);
    const leases = kubeConfigFor(hub).makeApiClient(CoordinationV1Api);
    const lease = () => leases.readNamespacedLease({ name: "meridian-operator", namespace: ns() });
    const holder = await pollUntil("the operator holds the Lease", 30_000, async () => {
      return (await lease()).spec?.holderIdentity;
    });

    const stopTimeoutSeconds = 30; // then podman sends SIGKILL, and the exit code is 137
    const stopped = performance.now();
    await podman(["stop", `--time=${stopTimeoutSeconds}`, container]);
    const stopSeconds = (performance.now() - stopped) / 1000;
    console.log(`[image] operator stopped ${stopSeconds.toFixed(1)} s after SIGTERM`);
    expect(stopSeconds).toBeLessThan(stopTimeoutSeconds);
    expect((await podman(["inspect", "--format", "{{.State.ExitCode}}", container])).trim()).toBe("0");
    const logs = (await podman(["logs", container]))
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg?: string; signal?: string; identity?: string });
    expect(logs.find((l) => l.msg === "operator started")?.identity).toBe(holder);
    expect(logs).toContainEqual(expect.objectContaining({ msg: "shutting down", signal: "SIGTERM" }));
    expect((await lease()).spec?.holderIdentity ?? "").toBe("");
  });
});
