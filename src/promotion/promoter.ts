// The Promoting step's adapter: one Promoter per database engine (postgresql, cloudnative-pg,
// job). Every method is idempotent and bounded by the timeout it is given, so the ReplicaPromotion
// controller can call it again after a crash without promoting twice.

/** How to reach one region's database, from the Secret named in spec.regions[].database. */
export interface DatabaseEndpoint {
  region: string;
  /** postgres://user:password@host:port/dbname, the Secret's `uri` key. */
  uri: string;
}

export interface ReplicaState {
  /** True when the database is a replica (in recovery); false when it is a writable primary. */
  inRecovery: boolean;
  /** WAL position replayed (replica) or written (primary), e.g. 0/3000060. */
  lsn: string;
  /** Whether the replica streams from a primary right now. */
  streaming: boolean;
}

export interface Promoter {
  /** The database's role and position. Throws when it cannot be reached. */
  state(db: DatabaseEndpoint): Promise<ReplicaState>;
  /** Bytes between two WAL positions (a - b), as the engine computes it. */
  lagBytes(db: DatabaseEndpoint, ahead: string, behind: string): Promise<number>;
  /**
   * Makes a primary refuse writes for real (not advisory), recording `epoch`. Idempotent; a
   * fenced database stays fenced until an operator unfences it.
   */
  fence(db: DatabaseEndpoint, epoch: number): Promise<void>;
  /** True when the database refuses writes from the application. */
  isFenced(db: DatabaseEndpoint): Promise<boolean>;
  /** Promotes a replica and waits until it accepts writes; a no-op on a primary. Records `epoch`. */
  promote(db: DatabaseEndpoint, epoch: number, timeoutSeconds: number): Promise<void>;
}
