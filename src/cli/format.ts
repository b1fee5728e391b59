// Small pure formatters shared by the commands' tables.

/** "0 B", "512 B", "1.5 KiB", "3.0 MiB": replication lag as people read it. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** How long ago `iso` was, kubectl's AGE style: 45s, 3m, 2h, 5d. */
export function age(iso: string | Date | undefined, now: number): string {
  if (iso === undefined) return "-";
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return "-";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Seconds with one decimal: "1.4 s". */
export const seconds = (s: number | undefined) => (s === undefined ? "-" : `${s.toFixed(1)} s`);

/** Parses a duration like 90s, 5m, 1h or a bare number of seconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * factor;
}
