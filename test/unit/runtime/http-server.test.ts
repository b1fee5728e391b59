import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startProbeServer } from "../../../src/runtime/http-server.ts";
import { createMetrics } from "../../../src/runtime/metrics.ts";

let close: (() => void) | undefined;
afterEach(() => close?.());

async function serve(ready: () => boolean) {
  const metrics = createMetrics();
  metrics.reconcileTotal.inc({ controller: "membercluster", result: "success" });
  const server = await startProbeServer({ port: 0, host: "127.0.0.1", registry: metrics.registry, ready });
  close = () => server.close();
  const { port } = server.address() as AddressInfo;
  return (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
}

describe("probe server", () => {
  it("answers /healthz always and /readyz only when ready", async () => {
    let ready = false;
    const get = await serve(() => ready);
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/readyz")).status).toBe(503);
    ready = true;
    expect((await get("/readyz")).status).toBe(200);
    expect((await get("/nope")).status).toBe(404);
  });

  it("serves our registry's metrics in Prometheus text format", async () => {
    const get = await serve(() => true);
    const res = await get("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const body = await res.text();
    expect(body).toContain(
      'controller_runtime_reconcile_total{controller="membercluster",result="success"} 1',
    );
    expect(body).toContain("# TYPE workqueue_depth gauge");
  });
});
