import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCrashAt } from "../../../src/runtime/crash-point.ts";
import { crashEnv, parseCrashLine, watchCrash } from "../../harness/crash-process.ts";

const crashPointModule = resolve(import.meta.dirname, "../../../src/runtime/crash-point.ts");

// A tiny program with three points on its "failover path"; stdout shows how far it got. The write
// before each point is a buffered stream write, so a real crash may lose it: only points reached
// are printed with writeSync.
const script = `
import { writeSync } from "node:fs";
import { crashPoint } from ${JSON.stringify(crashPointModule)};
process.on("exit", () => writeSync(1, "exit-handler\\n"));
for (const step of ["fence", "promote", "promote", "reopen"]) {
  writeSync(1, step + "\\n");
  crashPoint("after-" + step);
}
writeSync(1, "done\\n");
`;
const scriptPath = join(mkdtempSync(join(tmpdir(), "crash-point-")), "child.ts");
writeFileSync(scriptPath, script);

function runChild(crashAt: string | undefined) {
  const env = { ...process.env };
  delete env.MERIDIAN_CRASH_AT;
  if (crashAt !== undefined) env.MERIDIAN_CRASH_AT = crashAt;
  const child = spawn(process.execPath, [scriptPath], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  const watch = watchCrash(child, crashAt ?? "", { echo: false });
  return { watch, stdout: () => stdout };
}

describe("crashPoint", () => {
  it("does nothing when MERIDIAN_CRASH_AT is unset", async () => {
    const child = runChild(undefined);
    const exit = await child.watch.exited;
    expect(exit).toEqual({ code: 0, signal: null, crashPoint: undefined });
    expect(child.stdout()).toBe("fence\npromote\npromote\nreopen\ndone\nexit-handler\n");
  });

  it("announces the point on stderr and dies by SIGKILL there, without exit handlers", async () => {
    const child = runChild("after-fence");
    const exit = await child.watch.crashed(10_000);
    expect(exit).toEqual({ code: null, signal: "SIGKILL", crashPoint: "after-fence" });
    expect(child.watch.stderr).toEqual(['{"crashPoint":"after-fence"}']);
    expect(child.stdout()).toBe("fence\n");
  });

  it("crashes the N-th time a point is reached with name#N", async () => {
    const second = runChild("after-promote#2");
    await second.watch.crashed(10_000, "after-promote");
    expect(second.stdout()).toBe("fence\npromote\npromote\n");

    const first = runChild("after-promote");
    await first.watch.crashed(10_000);
    expect(first.stdout()).toBe("fence\npromote\n");
  });

  it("never crashes when the point is not reached often enough or not at all", async () => {
    for (const crashAt of ["after-promote#3", "after-nothing"]) {
      const child = runChild(crashAt);
      await expect(child.watch.crashed(10_000)).rejects.toThrow(/exited with code 0 without announcing/);
    }
  });

  it("refuses a malformed value at start-up", async () => {
    const child = runChild("after-fence#0");
    const exit = await child.watch.exited;
    expect(exit.code).not.toBe(0);
    expect(child.watch.stderr.join("\n")).toMatch(/MERIDIAN_CRASH_AT must be/);
    expect(child.stdout()).toBe("");
  });

  it("parses name and name#N", () => {
    expect(parseCrashAt(undefined)).toBeUndefined();
    expect(parseCrashAt("")).toBeUndefined();
    expect(parseCrashAt("fencing.after-disallow")).toEqual({ name: "fencing.after-disallow", nth: 1 });
    expect(parseCrashAt("promote#3")).toEqual({ name: "promote", nth: 3 });
    for (const bad of ["a#", "a#0", "#2", "a b", "a#-1", "a#x"]) {
      expect(() => parseCrashAt(bad), bad).toThrow(/MERIDIAN_CRASH_AT/);
    }
    expect(crashEnv("p")).toEqual({ MERIDIAN_CRASH_AT: "p" });
    expect(crashEnv("p", 2)).toEqual({ MERIDIAN_CRASH_AT: "p#2" });
    expect(parseCrashLine('{"crashPoint":"p"}')).toBe("p");
    expect(parseCrashLine('{"level":50}')).toBeUndefined();
  });

  it("costs nothing noticeable when unset", async () => {
    const { crashPoint } = await import("../../../src/runtime/crash-point.ts");
    const started = performance.now();
    for (let i = 0; i < 1_000_000; i++) crashPoint("crash-point-test.never-armed");
    const perCallNs = ((performance.now() - started) * 1e6) / 1_000_000;
    expect(perCallNs).toBeLessThan(200);
  });
});
