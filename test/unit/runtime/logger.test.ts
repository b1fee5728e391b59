import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, reconcileLogger } from "../../../src/runtime/logger.ts";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger(stream, "debug"), output: () => lines.join("") };
}

const kubeconfigText = "apiVersion: v1\nusers:\n- user:\n    client-key-data: SUPERSECRETKEY\n";

describe("logger", () => {
  it("never writes a Secret's data, however it is logged", () => {
    const { log, output } = capture();
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "us-east-kubeconfig", namespace: "meridian-system" },
      data: { kubeconfig: Buffer.from(kubeconfigText).toString("base64") },
      stringData: { password: "hunter2-password" },
    };
    log.info({ secret }, "loaded secret");
    log.info({ obj: secret }, "as an object");
    log.debug({ nested: { deeper: [{ kubeconfig: kubeconfigText, token: "tok-123456" }] } }, "nested");
    const out = output();
    expect(out).toContain("us-east-kubeconfig"); // the name is useful and not secret
    for (const leaked of [
      "SUPERSECRETKEY",
      Buffer.from(kubeconfigText).toString("base64"),
      "hunter2-password",
      "tok-123456",
    ]) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain("[REDACTED]");
  });

  it("writes JSON lines naming the reconciled object", () => {
    const { log, output } = capture();
    reconcileLogger(log, "regionalapp", "shop/checkout").info("reconciled");
    reconcileLogger(log, "membercluster", "us-east", "us-east").info("probed");
    const [record, clusterScoped] = output()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(clusterScoped).toMatchObject({ controller: "membercluster", cluster: "us-east", name: "us-east" });
    expect(clusterScoped.namespace).toBeUndefined();
    expect(record).toMatchObject({
      level: "info",
      controller: "regionalapp",
      cluster: "hub",
      namespace: "shop",
      name: "checkout",
      msg: "reconciled",
    });
  });
});
