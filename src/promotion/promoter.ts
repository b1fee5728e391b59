// The Promoting step's adapter: one Promoter per database engine (postgresql, cloudnative-pg,
// job). Every method is idempotent and bounded by the timeout it is given, so the ReplicaPromotion
// controller can call it again after a crash without promoting twice.
import type { KubeConfig } from "@kubernetes/client-node";
import type { JobEngine } from "../api/types.generated.ts";

/** How to reach one region's database: a connection uri (postgresql) or objects in its member cluster. */
export interface DatabaseEndpoint {
  region: string;
  /** postgresql: postgres://user:password@host:port/dbname, the Secret's `uri` key. Empty for the other engines. */
  uri: string;
  /** cloudnative-pg and job: where in the region's member cluster the engine acts. */
  member?: MemberDatabase;
}

/** A database the engine reaches through its region's Kubernetes API (cloudnative-pg, job). */
export interface MemberDatabase {
  /** Client of the region's member cluster. */
  kc: KubeConfig;
  /** The RegionalApp, for the names of the objects the engine creates and the Jobs' environment. */
  app: { namespace: string; name: string };
  /** cloudnative-pg: the region's Cluster. */
  cluster?: { namespace: string; name: string };
  /** job: the app's Job templates and the namespace they run in. */
  jobs?: { namespace: string; templates: JobEngine };
  /**
   * The move this call belongs to, from the fenced region to the promoted one, when there is one;
   * for a promotion, with the lag guard it must keep (the job engine hands it to the promote Job).
   */
  move?: { from: string; to: string; guard?: { maxLagBytes: number; allowDataLoss: boolean } };
  /** The other side of `move`: the successor for a fence, the fenced primary for a promotion. */
  peer?: DatabaseEndpoint;
}

export interface ReplicaState {
  /**
   * True when the database is a replica (in recovery). False says only that it is no replica: a
   * fenced old primary and a half-promoted replica are not in recovery either, and neither takes
   * writes. Ask promotionState() whether a server is the promoted primary.
   */
  inRecovery: boolean;
  /** WAL position replayed (replica) or written (primary), e.g. 0/3000060. */
  lsn: string;
  /** Whether the replica streams from a primary right now. */
  streaming: boolean;
  /**
   * Seconds since a replica replayed its last transaction, measured on the database server's own
   * clock (no two machines' clocks compared); undefined for a primary, a replica that replayed
   * nothing yet, or an engine that cannot tell. Checked against promotion.maxLagSeconds.
   */
  replayAgeSeconds?: number;
}

/**
 * A yes/no about a step, read from the database each time (never remembered), so a controller that
 * resumes after a crash sees what really happened. `detail` says why, and when the answer is no,
 * which part is missing and what to do; it is fit for a condition message.
 */
export interface StepState {
  detail: string;
  /**
   * Set when the step failed for good (a Job that failed, a Cluster CloudNativePG calls
   * unrecoverable): calling again cannot help, and the promotion fails with this message.
   */
  failed?: string;
}

export interface CatchUpState extends StepState {
  /** The replica has replayed every write of the fenced primary. */
  caughtUp: boolean;
}

export interface FenceState extends StepState {
  /**
   * True only when all hold: the application database refuses new connections, no session of it is
   * left (one that was open before the fence could still commit), and the fence is recorded at the
   * given epoch or a newer one.
   */
  fenced: boolean;
}

export interface PromotionState extends StepState {
  /**
   * True only when all hold: the server is out of recovery, it records its own promotion at the
   * given epoch or a newer one (on the timeline it writes now, so a record that replicated from an
   * earlier primary does not count), and the application database accepts connections.
   */
  promoted: boolean;
}

export interface Promoter {
  /**
   * Whether state() reports WAL positions the hub compares (lag, zero-lag wait, lag guard): true
   * for postgresql. An engine that cannot see positions answers caughtUp() instead.
   */
  readonly reportsPositions: boolean;
  /**
   * Engines without positions: whether the replica `db` has replayed every write of the primary
   * fenced at `epoch` (the zero-lag wait of a Switchover). Never called when reportsPositions. It
   * may start the engine's own check (the job engine's lag Job), idempotently: asking again finds it.
   */
  caughtUp?(db: DatabaseEndpoint, epoch: number): Promise<CatchUpState>;
  /** The database's role and position (lsn empty without reportsPositions). Throws when it cannot be reached. */
  state(db: DatabaseEndpoint): Promise<ReplicaState>;
  /** Bytes between two WAL positions (a - b), as the engine computes it. */
  lagBytes(db: DatabaseEndpoint, ahead: string, behind: string): Promise<number>;
  /**
   * Makes a primary refuse writes for real (not advisory), recording `epoch`. Idempotent; a
   * fenced database stays fenced until an operator unfences it. Throws when any part of the fence
   * is missing when it returns (a session it could not end, for one).
   */
  fence(db: DatabaseEndpoint, epoch: number): Promise<void>;
  /** Whether the fence at `epoch` is complete, checked part by part. Throws when it cannot be reached. */
  fenceState(db: DatabaseEndpoint, epoch: number): Promise<FenceState>;
  /**
   * Promotes a replica and reopens it to the application, recording `epoch`; returns once
   * promotionState(db, epoch) holds. Called again, it finishes a promotion a crash interrupted
   * (promoted, not yet reopened) and changes nothing on a promoted server. Refuses the old primary
   * it fenced, which is out of recovery too.
   */
  promote(db: DatabaseEndpoint, epoch: number, timeoutSeconds: number): Promise<void>;
  /** Whether promote(db, epoch) has completed, checked part by part. Throws when it cannot be reached. */
  promotionState(db: DatabaseEndpoint, epoch: number): Promise<PromotionState>;
  /**
   * Commits a test write as the application would: connected to the application database itself
   * with the endpoint's credentials. Throws, saying why, when the write cannot be made (the
   * database refuses connections, is read-only, ...). It proves the server takes writes, not that
   * it is the right one: gate on promotionState first.
   */
  verifyWrite(db: DatabaseEndpoint, epoch: number): Promise<void>;
  /**
   * Undoes this promotion's own fence of the old primary when the promotion failed before anything
   * was promoted: the database must be out of recovery with the fence recorded at exactly `epoch`
   * on its current timeline. It is then the primary at `epoch` (recorded as promoted). Idempotent.
   */
  reopen(db: DatabaseEndpoint, epoch: number): Promise<void>;
}

/**
 * Thrown by state() of an engine that cannot see the database's role (job): callers that only
 * want to double-check a role skip the check; callers that must know (reopening) refuse.
 */
export class RoleUnknown extends Error {}
