// The condition types and reasons Meridian writes. Alerts, dashboards and runbooks match on these
// strings, so they form part of the API: add freely, never rename. Const objects rather than
// `enum` (the project compiles with erasableSyntaxOnly); each also exports a union type.

/**
 * The two conditions kstatus (Flux, kpt, cli-utils) reads on any kind, abnormal-true: Reconciling
 * while the controller works towards the spec (a promotion runs, a switchover is starting, the first
 * probe is pending), Stalled when it cannot get there without a person (a configuration error, a
 * failed promotion, a primary that differs from spec.primaryRegion). Never both True.
 * Every kind carries them, so `flux ... --wait` and `kubectl wait` end instead of timing out.
 */
export const ProgressCondition = {
  Reconciling: "Reconciling",
  Stalled: "Stalled",
} as const;

/** Condition types, per kind. */
export const MemberClusterCondition = {
  ...ProgressCondition,
  /** The hub reached the cluster's API server (/readyz answered) at the last probe. */
  Reachable: "Reachable",
  /** The cluster is usable for failover: reachable, credentials valid, version supported. */
  Ready: "Ready",
} as const;

export const FailoverPolicyCondition = {
  ...ProgressCondition,
  /** The policy was read and is in use by the operator. */
  Ready: "Ready",
} as const;

export const RegionalAppCondition = {
  ...ProgressCondition,
  /** The app runs in its primary region, which is healthy, and DNS points there. */
  Ready: "Ready",
  /** At least one region is unhealthy or a replica lags beyond the guard. */
  Degraded: "Degraded",
  /** A ReplicaPromotion for this app is running. */
  FailoverInProgress: "FailoverInProgress",
  /** The old primary region is fenced: its writer is stopped or its database refuses writes. */
  Fenced: "Fenced",
  /** A failover would succeed right now (pre-flight: target reachable, replica within the guard, DNS usable). */
  FailoverReady: "FailoverReady",
  /** The DNS provider accepts changes (pre-flight) and the TTL keeps client failover fast (60 s or less). */
  DnsReady: "DnsReady",
  /** The primary is the region spec.primaryRegion prefers; False after a failover, saying what to do. */
  PrimaryAsSpecified: "PrimaryAsSpecified",
} as const;

export const ReplicaPromotionCondition = {
  ...ProgressCondition,
  /** The promotion may run: the policy is Automatic, or spec.approved is true. */
  Approved: "Approved",
  /** The promotion has finished successfully. */
  Ready: "Ready",
} as const;

export type MemberClusterConditionType = (typeof MemberClusterCondition)[keyof typeof MemberClusterCondition];
export type FailoverPolicyConditionType =
  (typeof FailoverPolicyCondition)[keyof typeof FailoverPolicyCondition];
export type RegionalAppConditionType = (typeof RegionalAppCondition)[keyof typeof RegionalAppCondition];
export type ReplicaPromotionConditionType =
  (typeof ReplicaPromotionCondition)[keyof typeof ReplicaPromotionCondition];
export type ConditionType =
  | MemberClusterConditionType
  | FailoverPolicyConditionType
  | RegionalAppConditionType
  | ReplicaPromotionConditionType;

/** Why a condition has its status. CamelCase, as metav1.Condition requires. */
export const Reason = {
  // Cluster connectivity.
  ApiServerReachable: "ApiServerReachable",
  ApiServerUnreachable: "ApiServerUnreachable",
  KubeconfigSecretNotFound: "KubeconfigSecretNotFound",
  KubeconfigInvalid: "KubeconfigInvalid",
  /** The kubeconfig runs an exec/auth-provider plugin and spec.allowExecAuth is false. */
  ExecAuthRefused: "ExecAuthRefused",

  // References between objects.
  PolicyNotFound: "PolicyNotFound",
  MemberClusterNotFound: "MemberClusterNotFound",
  AppNotFound: "AppNotFound",
  Accepted: "Accepted",

  // A FailoverPolicy's own consistency (checks CEL cannot make: src/controllers/failoverpolicy/review.ts).
  /** The policy is consistent and in use. */
  PolicyValid: "PolicyValid",
  /** The policy is in use, but works less well than its numbers suggest; the message says how. */
  PolicyValidWithWarnings: "PolicyValidWithWarnings",
  /** The policy cannot do what it says (e.g. a failover would always time out); the message names the field. */
  PolicyInvalid: "PolicyInvalid",

  // Region health.
  /** No observation yet (first probe pending, caches loading): nothing is concluded. */
  ProbePending: "ProbePending",
  PrimaryHealthy: "PrimaryHealthy",
  RegionHealthy: "RegionHealthy",
  WorkloadNotFound: "WorkloadNotFound",
  /** The workload is scaled to zero or has too few available replicas. */
  WorkloadUnavailable: "WorkloadUnavailable",
  HealthEndpointFailing: "HealthEndpointFailing",
  /** No other region is healthy and reachable enough to take over. */
  NoFailoverTarget: "NoFailoverTarget",
  AllRegionsHealthy: "AllRegionsHealthy",
  RegionUnhealthy: "RegionUnhealthy",
  PrimaryUnhealthy: "PrimaryUnhealthy",
  ReplicationLagTooHigh: "ReplicationLagTooHigh",

  // Safety rules that hold a failover back.
  /** A ReplicaPromotion for the app is already running: one at a time. */
  FailoverInProgress: "FailoverInProgress",
  NoPromotionRunning: "NoPromotionRunning",
  Suspended: "Suspended",
  TooFewHealthyRegions: "TooFewHealthyRegions",
  TooSoonSinceLastFailover: "TooSoonSinceLastFailover",
  JurisdictionNotAllowed: "JurisdictionNotAllowed",
  AwaitingApproval: "AwaitingApproval",
  DnsCredentialsInvalid: "DnsCredentialsInvalid",
  InsufficientCapacity: "InsufficientCapacity",
  PreflightPassed: "PreflightPassed",

  // A promotion's progress and outcome.
  ApprovedInSpec: "ApprovedInSpec",
  AutomaticPolicy: "AutomaticPolicy",
  Fencing: "Fencing",
  PrimaryFenced: "PrimaryFenced",
  LeaseExpired: "LeaseExpired",
  Promoting: "Promoting",
  Rerouting: "Rerouting",
  Verifying: "Verifying",
  PromotionSucceeded: "PromotionSucceeded",
  PromotionFailed: "PromotionFailed",
  PromotionAborted: "PromotionAborted",
  DryRunCompleted: "DryRunCompleted",
  /** A switchover or drill waits until the target replica has replayed everything the old primary wrote. */
  WaitingForZeroLag: "WaitingForZeroLag",
  PromotionTimedOut: "PromotionTimedOut",

  // A region's database, as the promoter (postgresql engine) found it.
  /** The database Secret's uri is not a usable postgres:// URL naming the application database. */
  DatabaseUriInvalid: "DatabaseUriInvalid",
  /** The database server refused the connection, or did not answer within the timeout. */
  DatabaseUnreachable: "DatabaseUnreachable",
  /** The server has no database of the name the uri gives (or no maintenance database postgres). */
  DatabaseNotFound: "DatabaseNotFound",
  /** The server refused Meridian's credentials, or its user lacks a privilege the step needs. */
  DatabaseAccessDenied: "DatabaseAccessDenied",
  /** A statement failed for a reason not listed here; the message carries the server's error. */
  DatabaseQueryFailed: "DatabaseQueryFailed",
  /** The database records a newer epoch than the caller's: a later failover has taken over. */
  EpochTooOld: "EpochTooOld",
  /** A fence was asked of a replica, which takes no writes and cannot change its own catalog. */
  DatabaseIsReplica: "DatabaseIsReplica",
  /** Promotion was asked of a primary that Meridian fenced and that nobody has rebuilt since. */
  FencedPrimaryNotPromotable: "FencedPrimaryNotPromotable",
  /**
   * A database step failed for good (engines cloudnative-pg and job): a fence, promote or lag Job
   * failed (the message carries its logs' tail), or CloudNativePG called the Cluster unrecoverable.
   */
  DatabaseStepFailed: "DatabaseStepFailed",
  /**
   * The old primary's region is unreachable and the app's engine (cloudnative-pg, job) can only be
   * fenced through that region's API server: lease expiry alone never promotes such an app.
   */
  FenceNeedsRegionApi: "FenceNeedsRegionApi",

  // DNS rerouting (src/dns). EpochTooOld and DnsCredentialsInvalid above serve DNS too.
  /** Pre-flight passed: the DNS server answers and accepts the key, or the DNSEndpoint is writable. */
  DnsProviderReady: "DnsProviderReady",
  /** The policy's DNS TTL is above 60 s: resolvers may send clients to the old region that long. */
  DnsTtlTooHigh: "DnsTtlTooHigh",
  DnsPreflightPassed: "DnsPreflightPassed",
  /** Publishing the records health calls for failed (outside a failover); the message says why. */
  DnsPublishFailed: "DnsPublishFailed",
  /** ActiveActive with no healthy region: DNS keeps naming the primary rather than nothing. */
  NoHealthyDnsTarget: "NoHealthyDnsTarget",
  /** The TSIG Secret is missing or the operator may not read it. */
  DnsTsigSecretUnavailable: "DnsTsigSecretUnavailable",
  /** No answer from the DNS server in time, or the connection was refused. */
  DnsServerUnreachable: "DnsServerUnreachable",
  /** The DNS server answered SERVFAIL: it failed internally (zone not loaded, journal not writable). */
  DnsServerFailure: "DnsServerFailure",
  /** The reply could not be parsed as a DNS message. */
  DnsResponseMalformed: "DnsResponseMalformed",
  /** The reply was unsigned, signed with another key, or its signature did not verify. */
  DnsResponseUnverified: "DnsResponseUnverified",
  /** TSIG BADTIME: the DNS server's clock and the operator's differ by more than the 300 s fudge. */
  DnsTsigClockSkew: "DnsTsigClockSkew",
  /** The server is not authoritative for the zone (NOTAUTH, or an answer without the AA bit). */
  DnsNotAuthoritative: "DnsNotAuthoritative",
  /** The hostname is not inside the configured zone (NOTZONE). */
  DnsNotInZone: "DnsNotInZone",
  /** The server's update policy does not let the key change the names (REFUSED). */
  DnsUpdateRefused: "DnsUpdateRefused",
  /** The server rejected the message for another reason (FORMERR, NOTIMP, ...). */
  DnsUpdateRejected: "DnsUpdateRejected",
  /** The records differ from what Meridian expected (NXRRSET/YXRRSET, or a conflicting write): someone else changed them. */
  DnsRecordChanged: "DnsRecordChanged",
  /** The server accepted the update but does not answer with the new targets. */
  DnsVerificationFailed: "DnsVerificationFailed",
  /** The hub does not serve ExternalDNS's DNSEndpoint kind (dnsendpoints.externaldns.k8s.io). */
  DnsEndpointCrdMissing: "DnsEndpointCrdMissing",
  /** The operator's RBAC does not allow it to write DNSEndpoints in the namespace. */
  DnsEndpointForbidden: "DnsEndpointForbidden",
  /** A DNSEndpoint of the name Meridian uses exists and belongs to someone else. */
  DnsEndpointOwnedByOther: "DnsEndpointOwnedByOther",
  /** Writing the DNSEndpoint failed for another reason; the message carries the API server's. */
  DnsEndpointWriteFailed: "DnsEndpointWriteFailed",

  // The per-region agent (src/fencing/agent), as Events on the RegionalApp in the hub.
  /** The agent scaled its region's workload to zero and fenced its database. */
  RegionFenced: "RegionFenced",
  /** A fence by the agent failed; it retries with backoff. The note says what failed. */
  RegionFenceFailed: "RegionFenceFailed",
  /** The region Lease went unrenewed past the renew deadline, but enough peers promised that the hub cannot form a majority: the primary keeps serving. */
  FailsafeKeepsPrimary: "FailsafeKeepsPrimary",

  // The primary against spec.primaryRegion, and how a promotion may start (src/failover/decide-start.ts).
  /** The primary is the region spec.primaryRegion names. */
  PrimaryMatchesSpec: "PrimaryMatchesSpec",
  /** After a failover the primary differs from spec.primaryRegion: accept it in Git or fail back. */
  PrimaryDiffersFromSpec: "PrimaryDiffersFromSpec",
  /** spec.primaryRegion changed from the value last acted upon: a planned switchover. */
  PrimaryRegionChanged: "PrimaryRegionChanged",
  /** Another promotion allocated the next epoch first (compare-and-swap lost): this one stands down. */
  EpochTaken: "EpochTaken",
  /** The old primary's region Lease lapsed, but the hub and the agents voting are not a majority. */
  NoMajority: "NoMajority",
  /** The region being failed away from is healthy again: the failover is no longer needed. */
  PrimaryRecovered: "PrimaryRecovered",
  /** After fencing, the promotion could not go on; the old primary was reopened at the same epoch. */
  OldPrimaryUnfenced: "OldPrimaryUnfenced",

  // A person's emergency use of the CLI (src/cli/commands/fence.ts), as Events on the RegionalApp.
  /** A person fenced one region with `meridian fence`: workload scaled to zero, a primary database fenced. */
  RegionFencedManually: "RegionFencedManually",
  /** A person undid a fence with `meridian unfence`: workload scaled back, the primary's database reopened where safe. */
  RegionUnfencedManually: "RegionUnfencedManually",
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];
