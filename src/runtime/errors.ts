/**
 * A problem the user must fix (a missing Secret, a bad kubeconfig): reported as a condition and an
 * Event, logged at warn, and retried with a slow backoff (1 s doubling to 1 min) so the fix is
 * picked up soon, without a hot loop.
 */
export class ConfigurationError extends Error {
  readonly retryBaseMs = 1000;
  readonly retryMaxMs = 60_000;
}

/** The backoff bounds an error asks for, if any. */
export function retryBounds(err: unknown): { baseMs: number; maxMs: number } | undefined {
  return err instanceof ConfigurationError ? { baseMs: err.retryBaseMs, maxMs: err.retryMaxMs } : undefined;
}
