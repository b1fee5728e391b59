import { Reason } from "../../api/reasons.ts";

/**
 * Why a PostgresPromoter call failed: `reason` is the condition reason the controller reports, the
 * message says what is wrong and what to fix. Messages never carry the uri's password, and no pg
 * error is attached as `cause` (its fields are not ours to vouch for).
 */
export class PostgresPromoterError extends Error {
  readonly reason: Reason;

  constructor(reason: Reason, message: string) {
    super(message);
    this.reason = reason;
    this.name = new.target.name;
  }
}

export class DatabaseUriInvalid extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.DatabaseUriInvalid, message);
  }
}

export class DatabaseUnreachable extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.DatabaseUnreachable, message);
  }
}

export class DatabaseNotFound extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.DatabaseNotFound, message);
  }
}

export class DatabaseAccessDenied extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.DatabaseAccessDenied, message);
  }
}

export class DatabaseQueryFailed extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.DatabaseQueryFailed, message);
  }
}

export class PromoteTimeout extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.PromotionTimedOut, message);
  }
}

export class DatabaseIsReplica extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.DatabaseIsReplica, message);
  }
}

export class FencedPrimaryNotPromotable extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.FencedPrimaryNotPromotable, message);
  }
}

/**
 * The test write failed: the database refuses connections, is read-only, or rejected the write.
 * Its reason is DatabaseQueryFailed until src/api/reasons.ts has a DatabaseNotWritable of its own.
 */
export class DatabaseNotWritable extends PostgresPromoterError {
  constructor(message: string) {
    super(Reason.DatabaseQueryFailed, message);
  }
}

/** The fencing token refused: the database has seen a newer failover than the caller's. */
export class EpochTooOld extends PostgresPromoterError {
  readonly recorded: number;
  readonly given: number;

  constructor(where: string, recorded: number, given: number) {
    super(
      Reason.EpochTooOld,
      `${where} records epoch ${recorded}, newer than this caller's epoch ${given}: a later failover has taken over, so this one must not act; re-read the RegionalApp's status.epoch`,
    );
    this.recorded = recorded;
    this.given = given;
  }
}
