import { type DestinationStream, type Logger, pino } from "pino";
import { splitKey } from "./keys.ts";

export type { Logger } from "pino";

/** Keys whose values are credentials wherever they appear in a log record. */
const secretKeys = new Set([
  "data",
  "stringData",
  "password",
  "token",
  "kubeconfig",
  "secret",
  "tsigSecret",
  "client-key-data",
  "certData",
  "keyData",
  "authorization",
]);

const redacted = "[REDACTED]";

/**
 * Replaces credential values anywhere in a record (a Secret object, a kubeconfig, an error's
 * request options) so a Secret's content can never reach the log, whoever logs what.
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value instanceof Error) return { type: value.name, message: value.message };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = secretKeys.has(k) && v !== undefined ? redacted : scrub(v, depth + 1);
  }
  return out;
}

/** JSON logs on stdout (or `destination`), level from LOG_LEVEL, credentials scrubbed. */
export function createLogger(
  destination?: DestinationStream,
  level = process.env.LOG_LEVEL ?? "info",
): Logger {
  return pino(
    {
      level,
      base: { app: "meridian" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (record) => scrub(record) as Record<string, unknown>,
      },
    },
    destination,
  );
}

/**
 * The logger for one reconcile: every line names the object, from its work-queue key
 * ("namespace/name", or "name" for cluster-scoped kinds), and the cluster it lives in.
 */
export function reconcileLogger(log: Logger, controller: string, key: string, cluster = "hub"): Logger {
  return log.child({ controller, cluster, ...splitKey(key) });
}
