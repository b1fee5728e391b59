// PostgreSQL WAL positions (pg_lsn), computed without a database. The controller records the
// primary's LSN while the primary is reachable; after the primary is lost it still has to know how
// far behind a replica is, and no server is left to ask for pg_wal_lsn_diff.

const lsnPattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Thrown for text that is not a pg_lsn such as `16/B374D848`. */
export class InvalidLsn extends Error {
  constructor(text: string) {
    super(
      `"${text}" is not a WAL position: expected two hexadecimal numbers of up to 8 digits, as in 0/3000060`,
    );
    this.name = "InvalidLsn";
  }
}

/** The byte position a pg_lsn names: the high and low 32-bit halves, as PostgreSQL prints them. */
export function parseLsn(text: string): bigint {
  const match = lsnPattern.exec(text);
  if (!match) throw new InvalidLsn(text);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * `ahead - behind` in bytes, as pg_wal_lsn_diff(ahead, behind) computes it: negative when `ahead`
 * is in fact behind. Exact up to 2^53 bytes (8 PiB) of difference, far beyond any real lag.
 */
export function lsnDiff(ahead: string, behind: string): number {
  return Number(parseLsn(ahead) - parseLsn(behind));
}
