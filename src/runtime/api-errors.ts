import { ApiException } from "@kubernetes/client-node";

/** HTTP status of a failed Kubernetes API call, or undefined for network errors. */
export function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;

/** A one-line description of a failed API call: status code and the server's message, no headers. */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    let message = "";
    try {
      const body = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
      message = body?.message ?? "";
    } catch {
      message = String(err.body).slice(0, 300);
    }
    return `HTTP ${err.code}${message ? `: ${message}` : ""}`;
  }
  return err instanceof Error ? err.message : String(err);
}
