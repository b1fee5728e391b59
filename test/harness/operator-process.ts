import { createServer } from "node:net";
import { type MeridianProcess, spawnMeridian } from "./meridian-process.ts";
import type { Region } from "./testbed.ts";

/** A `meridian operator` process against a hub region, as a user would run it. */
export interface OperatorProcess extends MeridianProcess {
  metricsPort: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

export async function startOperator(
  hub: Region,
  args: string[],
  env: Record<string, string> = {},
  /** See spawnMeridian. */
  main?: string,
): Promise<OperatorProcess> {
  const metricsPort = await freePort();
  const operator = spawnMeridian(
    hub,
    ["operator", "--metrics-port", String(metricsPort), ...args],
    metricsPort,
    env,
    "inherit",
    main,
  );
  return { ...operator, metricsPort };
}
