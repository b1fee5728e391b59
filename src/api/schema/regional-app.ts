import { RegionalAppCondition } from "../reasons.ts";
import { arr, bool, celFormat, int, num, obj, str, time } from "./builders.ts";
import {
  conditions,
  dnsSubdomainPattern,
  labelName,
  localRef,
  objectName,
  observedGeneration,
} from "./common.ts";
import { ageColumn, conditionColumn, type KindDefinition } from "./kind.ts";
import { promotionTypes } from "./replica-promotion.ts";

const maxRegions = 16;

const hostname = (description: string) =>
  str({ description, pattern: dnsSubdomainPattern, minLength: 1, maxLength: 253 });

const region = obj(
  {
    name: labelName("Name of the region within this app, e.g. us-east; spec.primaryRegion refers to it."),
    clusterRef: objectName("Name of the MemberCluster that runs this region."),
    priority: int({
      description:
        "Preference as a failover target: the healthy region with the lowest priority is chosen; ties go to the earlier entry.",
      min: 0,
      max: 1000,
      default: 100,
    }),
    workload: obj(
      {
        kind: str({
          description: "Kind of the workload.",
          enum: ["Deployment", "StatefulSet"],
          default: "Deployment",
          typeName: "WorkloadKind",
        }),
        namespace: labelName(
          "Namespace of the workload in the member cluster. Defaults to the RegionalApp's namespace.",
        ),
        name: objectName("Name of the workload."),
      },
      {
        description:
          "The app's workload in this region. Its availableReplicas are a health signal, and fencing may scale it to zero.",
        required: ["name"],
        typeName: "WorkloadReference",
      },
    ),
    standbyReplicas: int({
      description:
        "Optional warm-standby size: the workload runs this many replicas while the region is not primary, and is scaled up to the primary's size when it is promoted.",
      min: 0,
      max: 10000,
    }),
    endpoint: str({
      description:
        "The DNS target for this region: an IPv4 address for recordType A, an IPv6 address for AAAA, a hostname for CNAME.",
      minLength: 1,
      maxLength: 253,
    }),
    healthEndpoint: obj(
      {
        url: str({
          description: "The http:// or https:// URL to probe, e.g. http://203.0.113.10/healthz.",
          maxLength: 2048,
          rules: [
            {
              rule: "isURL(self) && url(self).getScheme() in ['http', 'https']",
              messageExpression: celFormat(
                "url %s is not an absolute http:// or https:// URL; write it like http://203.0.113.10:8080/healthz",
                ["self"],
              ),
            },
          ],
        }),
        expectStatus: int({
          description: "The HTTP status a healthy region answers with.",
          min: 100,
          max: 599,
          default: 200,
        }),
      },
      {
        description:
          "Optional HTTP probe of the region's endpoint, in addition to workload availability. Uses the policy's interval and timeout.",
        required: ["url"],
        typeName: "HealthEndpoint",
      },
    ),
    database: obj(
      {
        connectionSecretRef: localRef(
          "Secret in this namespace with the connection string of the region's database (key uri). Required for engine postgresql.",
          "Name of the Secret.",
        ),
        cloudNativePG: obj(
          {
            clusterName: objectName("Name of the CloudNativePG Cluster in this region's member cluster."),
            namespace: labelName(
              "Namespace of the Cluster in the member cluster. Defaults to the RegionalApp's namespace.",
            ),
          },
          {
            description:
              "The region's CloudNativePG Cluster (engine cloudnative-pg), part of one distributed topology: every Cluster lists the others in externalClusters, and spec.replica.primary names the primary (docs/cloudnative-pg.md).",
            required: ["clusterName"],
            typeName: "CloudNativePGCluster",
          },
        ),
      },
      {
        description:
          "This region's database: connectionSecretRef for engine postgresql, cloudNativePG for engine cloudnative-pg.",
        typeName: "RegionDatabase",
        rules: [
          {
            rule: "has(self.connectionSecretRef) || has(self.cloudNativePG)",
            message: "set connectionSecretRef (engine postgresql) or cloudNativePG (engine cloudnative-pg)",
          },
        ],
      },
    ),
  },
  {
    description: "One region the app runs in.",
    required: ["name", "clusterRef", "workload", "endpoint"],
    typeName: "Region",
  },
);

const provider = obj(
  {
    dnsEndpoint: obj(
      {
        namespace: labelName("Namespace of the DNSEndpoint. Defaults to the RegionalApp's namespace."),
      },
      {
        description:
          "Write an ExternalDNS DNSEndpoint object in the hub cluster; ExternalDNS then updates whichever DNS service it manages.",
        typeName: "DnsEndpointProvider",
      },
    ),
    rfc2136: obj(
      {
        server: str({
          description: "The authoritative DNS server, host:port, e.g. 192.0.2.53:53 or [2001:db8::53]:53.",
          pattern: "^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$",
          maxLength: 260,
        }),
        zone: hostname("The zone to update, e.g. example.com; spec.dns.hostname must lie inside it."),
        tsigSecretRef: localRef(
          "Secret in this namespace with the TSIG key that signs the updates.",
          "Name of the Secret.",
        ),
      },
      {
        description:
          "Send TSIG-signed DNS UPDATEs (RFC 2136) straight to the authoritative server, with the old record as prerequisite: the fastest way to reroute.",
        required: ["server", "zone", "tsigSecretRef"],
        typeName: "Rfc2136Provider",
      },
    ),
  },
  {
    description: "Where the DNS record is written. Set exactly one of dnsEndpoint or rfc2136.",
    typeName: "DnsProvider",
    rules: [
      {
        rule: "(has(self.dnsEndpoint) ? 1 : 0) + (has(self.rfc2136) ? 1 : 0) == 1",
        message:
          "set exactly one DNS provider: dnsEndpoint (ExternalDNS writes the record) or rfc2136 (Meridian updates the DNS server directly)",
      },
    ],
  },
);

const dns = obj(
  {
    hostname: hostname("The name clients resolve, e.g. checkout.example.com."),
    recordType: str({
      description:
        "A (IPv4) or AAAA (IPv6) records, or a CNAME to a hostname. An ActiveActive app needs A or AAAA: one record per healthy region.",
      enum: ["A", "AAAA", "CNAME"],
      default: "A",
      typeName: "RecordType",
    }),
    provider,
  },
  {
    description: "The DNS name that follows the primary region.",
    required: ["hostname", "provider"],
    typeName: "AppDns",
    rules: [
      {
        rule: "!has(self.provider.rfc2136) || self.hostname == self.provider.rfc2136.zone || self.hostname.endsWith('.' + self.provider.rfc2136.zone)",
        messageExpression: celFormat(
          "hostname %s is not inside the rfc2136 zone %s: use a name ending in .%s, or set the zone that contains it",
          ["self.hostname", "self.provider.rfc2136.zone", "self.provider.rfc2136.zone"],
        ),
        fieldPath: ".hostname",
      },
    ],
  },
);

const jobTemplate = (step: string) =>
  obj(
    {
      image: str({
        description: "Container image of the Job's one container.",
        minLength: 1,
        maxLength: 512,
      }),
      command: arr(str({ description: "An entry of the command.", maxLength: 4096 }), {
        description: "The container's command (entrypoint).",
        maxItems: 64,
      }),
      args: arr(str({ description: "An argument.", maxLength: 4096 }), {
        description: "The container's arguments.",
        maxItems: 64,
      }),
      env: arr(
        obj(
          {
            name: str({ description: "Variable name.", minLength: 1, maxLength: 256 }),
            value: str({ description: "Variable value.", maxLength: 4096 }),
          },
          { description: "One environment variable.", required: ["name"], typeName: "JobEnvVar" },
        ),
        {
          description:
            "Extra environment variables; Meridian adds MERIDIAN_STEP, MERIDIAN_EPOCH, MERIDIAN_APP, MERIDIAN_REGION, MERIDIAN_FROM_REGION and MERIDIAN_TO_REGION.",
          maxItems: 64,
        },
      ),
      serviceAccountName: objectName("ServiceAccount the Job's pod runs as. Defaults to default."),
    },
    {
      description: `The Job that ${step}. It runs in the member cluster of the region it acts on; exit 0 means done, a failed Job fails the promotion.`,
      required: ["image"],
      typeName: "JobStepTemplate",
    },
  );

const jobEngine = obj(
  {
    namespace: labelName(
      "Namespace in each member cluster where the Jobs run. Defaults to the RegionalApp's namespace.",
    ),
    fence: jobTemplate(
      "fences the old primary's database so it refuses writes (run in the old primary's region; must be idempotent)",
    ),
    promote: jobTemplate(
      "promotes the target region's replica (run in the target region; must be idempotent and succeed only once the database takes writes)",
    ),
    lag: jobTemplate(
      "checks, before a Switchover promotes, that the target has replayed every write of the fenced primary (run in the target region; exit 0 means caught up). Optional: without it the promote Job must wait for zero lag itself",
    ),
    rejoin: jobTemplate("rebuilds the old primary as a replica of the new one after a promotion"),
  },
  {
    description:
      "Engine job: your own Jobs do the database's part of a promotion (docs/job-engine.md). Meridian names each Job after the app, step and epoch, so a restarted operator finds the Job it started.",
    required: ["fence", "promote"],
    typeName: "JobEngine",
    rules: [
      {
        rule: "!has(self.rejoin)",
        message:
          "job.rejoin is not implemented yet: rebuild the old primary by hand (docs/postgresql.md) and leave rejoin unset",
        fieldPath: ".rejoin",
      },
    ],
  },
);

const database = obj(
  {
    job: jobEngine,
    engine: str({
      description:
        "How the database replica is promoted: postgresql (direct SQL to each region's database, see spec.regions[].database), cloudnative-pg (CloudNativePG replica clusters), job (run your own Job in the target region), none (no database; only the workload and DNS move).",
      enum: ["postgresql", "cloudnative-pg", "job", "none"],
      typeName: "DatabaseEngine",
    }),
  },
  {
    description: "The app's database and how to promote it. Required so that none is a deliberate choice.",
    required: ["engine"],
    typeName: "AppDatabase",
  },
);

/** The rule an endpoint must meet for the record type; shared by the check and the message naming offenders. */
const endpointMatchesRecordType =
  "self.dns.recordType == 'CNAME' ? (!isIP(r.endpoint) && r.endpoint.matches('" +
  dnsSubdomainPattern.replaceAll("\\", "\\\\") +
  "')) : (isIP(r.endpoint) && ip(r.endpoint).family() == (self.dns.recordType == 'A' ? 4 : 6))";

const spec = obj(
  {
    policyRef: localRef(
      "The FailoverPolicy in this namespace whose rules apply.",
      "Name of the FailoverPolicy.",
    ),
    topology: str({
      description:
        "ActivePassive: only the primary region serves; DNS names it alone. ActiveActive: every healthy region serves; DNS names all of them and a failed region is removed. Either way one region holds the writable database.",
      enum: ["ActivePassive", "ActiveActive"],
      default: "ActivePassive",
      typeName: "Topology",
    }),
    primaryRegion: labelName(
      "The region that should be primary: the name of an entry in spec.regions. Changing it is a planned switchover.",
    ),
    suspend: bool({
      description:
        "Kill switch: while true, Meridian takes no automatic action for this app (it keeps probing and reporting).",
      default: false,
    }),
    regions: arr(region, {
      description:
        "The regions the app runs in, each on its own MemberCluster. With one region Meridian monitors the app and reports that no failover target exists; failover needs two or more.",
      minItems: 1,
      maxItems: maxRegions,
      listType: "map",
      listMapKeys: ["name"],
      rules: [
        {
          rule: "self.all(r, self.exists_one(o, o.name == r.name))",
          messageExpression: celFormat(
            "region names must be unique, but %s appears more than once: give each region its own name",
            ["self.map(r, r.name).filter(n, self.filter(o, o.name == n).size() > 1)[0]"],
          ),
        },
        {
          // Two regions on one cluster fail together and share the fencing Lease: no failover at all.
          rule: "self.all(r, self.exists_one(o, o.clusterRef == r.clusterRef))",
          messageExpression: celFormat(
            "each region needs its own MemberCluster, but clusterRef %s is used by more than one region: point each region at the cluster that runs it",
            ["self.map(r, r.clusterRef).filter(c, self.filter(o, o.clusterRef == c).size() > 1)[0]"],
          ),
        },
      ],
    }),
    dns,
    database,
  },
  {
    description: "The app's regions, which one is primary, and how DNS and the database follow it.",
    required: ["policyRef", "primaryRegion", "regions", "dns", "database"],
    typeName: "RegionalAppSpec",
    rules: [
      {
        rule: "self.regions.exists(r, r.name == self.primaryRegion)",
        messageExpression: celFormat(
          "primaryRegion %s is not the name of any entry in spec.regions %s: set it to one of them",
          ["self.primaryRegion", "self.regions.map(r, r.name)"],
        ),
        fieldPath: ".primaryRegion",
      },
      {
        rule: `self.regions.all(r, ${endpointMatchesRecordType})`,
        messageExpression: celFormat(
          "spec.regions[].endpoint must be %s because spec.dns.recordType is %s; fix the endpoint of %s",
          [
            "self.dns.recordType == 'A' ? 'an IPv4 address' : self.dns.recordType == 'AAAA' ? 'an IPv6 address' : 'a hostname'",
            "self.dns.recordType",
            `self.regions.filter(r, !(${endpointMatchesRecordType})).map(r, r.name)`,
          ],
        ),
        fieldPath: ".regions",
      },
      {
        rule: "!(self.topology == 'ActiveActive' && self.dns.recordType == 'CNAME')",
        message:
          "an ActiveActive app publishes one record per healthy region and a CNAME holds only one: use recordType A or AAAA, or topology ActivePassive",
        fieldPath: ".dns.recordType",
      },
      {
        rule: "self.database.engine != 'cloudnative-pg' || self.regions.all(r, has(r.database) && has(r.database.cloudNativePG))",
        messageExpression: celFormat(
          "database.engine cloudnative-pg acts on the CloudNativePG Cluster of every region: set spec.regions[].database.cloudNativePG.clusterName for %s",
          ["self.regions.filter(r, !has(r.database) || !has(r.database.cloudNativePG)).map(r, r.name)"],
        ),
        fieldPath: ".regions",
        reason: "FieldValueRequired",
      },
      {
        rule: "(self.database.engine == 'job') == has(self.database.job)",
        message:
          "spec.database.job holds the Jobs of engine job: set it (with fence and promote templates) when engine is job, and only then",
        fieldPath: ".database",
      },
      {
        rule: "self.database.engine != 'postgresql' || self.regions.all(r, has(r.database) && has(r.database.connectionSecretRef))",
        messageExpression: celFormat(
          "database.engine postgresql connects to the database of every region: set spec.regions[].database.connectionSecretRef for %s",
          ["self.regions.filter(r, !has(r.database) || !has(r.database.connectionSecretRef)).map(r, r.name)"],
        ),
        fieldPath: ".regions",
        reason: "FieldValueRequired",
      },
    ],
  },
);

const regionStatus = obj(
  {
    name: labelName("The region, as in spec.regions[].name."),
    healthy: bool({ description: "Whether the region counts as healthy under the policy's thresholds." }),
    consecutiveFailures: int({ description: "Failed probes in a row.", min: 0 }),
    consecutiveSuccesses: int({ description: "Successful probes in a row.", min: 0 }),
    lastProbeTime: time({
      description:
        "When the region was last observed, as of the last change of this status (not refreshed on its own: the metric meridian_observation_age_seconds shows that health checking is live).",
    }),
    message: str({ description: "The last probe's result in words, e.g. why it failed.", maxLength: 4096 }),
    replicationLagBytes: int({
      description:
        "How far this region's database replica is behind the primary, in bytes. Unset for the primary.",
      min: 0,
      format: "int64",
    }),
  },
  { description: "Health of one region.", required: ["name"], typeName: "RegionStatus" },
);

const lastFailover = obj(
  {
    type: str({
      description: "Failover, Switchover or Drill.",
      enum: promotionTypes,
      typeName: "PromotionType",
    }),
    from: labelName("The region that was primary before."),
    to: labelName("The region that became primary."),
    reason: str({ description: "Why it happened.", maxLength: 1024 }),
    promotionRef: objectName("Name of the ReplicaPromotion that carried it out, for the full record."),
    epoch: int({ description: "The epoch the new primary holds.", min: 0, format: "int64" }),
    startedAt: time({ description: "When the promotion started." }),
    completedAt: time({ description: "When the new primary took writes." }),
    rtoSeconds: num({ description: "Measured recovery time in seconds.", min: 0 }),
    dataLossEstimate: obj(
      {
        bytes: int({
          description: "Replication lag of the promoted replica, in bytes, at promotion.",
          min: 0,
          format: "int64",
        }),
        seconds: num({
          description: "Replication lag of the promoted replica, in seconds, at promotion.",
          min: 0,
        }),
      },
      {
        description:
          "Upper bound of the acknowledged writes lost: what the promoted replica had not received. Zero for a switchover.",
        typeName: "DataLossEstimate",
      },
    ),
  },
  { description: "The most recent failover or switchover of the app.", typeName: "FailoverRecord" },
);

const handover = obj(
  {
    from: labelName("The region being fenced: its agent fences the app at once on seeing this."),
    to: labelName("The region being promoted."),
    epoch: int({
      description: "The epoch the promotion allocated; the new primary will hold it.",
      min: 1,
      format: "int64",
    }),
    promotionRef: objectName("The ReplicaPromotion that allocated the epoch."),
  },
  {
    description:
      "Set while a promotion moves the primary: written with the new epoch by a compare-and-swap before any fencing, cleared when the promotion ends. Region agents read it (docs/fencing.md).",
    required: ["from", "to", "epoch", "promotionRef"],
    typeName: "Handover",
  },
);

const status = obj(
  {
    observedGeneration,
    currentPrimary: labelName("The region that holds the writable database and receives traffic now."),
    lastAppliedPrimaryRegion: labelName(
      "The value of spec.primaryRegion last acted upon. A planned switchover starts when spec.primaryRegion changes from this value, never merely because it differs from currentPrimary.",
    ),
    handover,
    epoch: int({
      description:
        "Fencing token: grows by one with every promotion. Actors holding an older epoch are refused.",
      min: 0,
      format: "int64",
    }),
    healthyRegions: str({
      description: "Healthy regions out of all regions, e.g. 2/3, for kubectl get.",
      maxLength: 8,
    }),
    regions: arr(regionStatus, {
      description: "Health and replication lag per region.",
      maxItems: maxRegions,
      listType: "map",
      listMapKeys: ["name"],
    }),
    lastFailover,
    conditions: conditions(Object.values(RegionalAppCondition)),
  },
  { description: "What the operator last observed and did.", typeName: "RegionalAppStatus" },
);

export const regionalApp: KindDefinition = {
  kind: "RegionalApp",
  plural: "regionalapps",
  singular: "regionalapp",
  shortNames: ["rapp"],
  scope: "Namespaced",
  description:
    "One application across regions: where it runs, which region is primary, and how its database and DNS follow the primary when a region fails.",
  spec,
  status,
  printerColumns: [
    {
      name: "Primary",
      type: "string",
      jsonPath: ".status.currentPrimary",
      description: "The region that is primary now.",
    },
    {
      name: "Topology",
      type: "string",
      jsonPath: ".spec.topology",
      description: "ActivePassive or ActiveActive.",
    },
    conditionColumn(RegionalAppCondition.Ready, "Whether the app is served from a healthy primary."),
    {
      name: "Healthy",
      type: "string",
      jsonPath: ".status.healthyRegions",
      description: "Healthy regions out of all regions.",
    },
    ageColumn,
  ],
};
