/** Exponential backoff: `base * 2^attempt`, capped, with up to 10% jitter so retries spread out. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay added at random; 0 makes the delay deterministic (tests). */
  jitter?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const { baseMs, maxMs, jitter = 0.1, random = Math.random } = opts;
  const exponential = baseMs * 2 ** Math.max(0, attempt);
  const capped = Math.min(maxMs, Number.isFinite(exponential) ? exponential : maxMs);
  return Math.min(maxMs, Math.round(capped * (1 + jitter * random())));
}
