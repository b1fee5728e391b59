/**
 * Reads a numeric flag from parseArgs values; throws a message naming the flag and the fix (the
 * CLI turns it into a usage error, exit code 2).
 */
export function numericFlag(values: Record<string, unknown>, flag: string, min: number): number {
  const raw = String(values[flag]);
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${flag} must be a number >= ${min}, got "${raw}"`);
  return n;
}
