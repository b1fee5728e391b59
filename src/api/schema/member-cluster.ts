import { MemberClusterCondition } from "../reasons.ts";
import { bool, int, obj, str, time } from "./builders.ts";
import { conditions, labelName, objectName, observedGeneration } from "./common.ts";
import { ageColumn, conditionColumn, type KindDefinition } from "./kind.ts";

const spec = obj(
  {
    region: labelName(
      "The cloud or data-centre region this cluster runs in, e.g. us-east-1. Clusters in one region are assumed to fail together.",
    ),
    zone: labelName("Optional availability zone within the region, e.g. us-east-1a. Informational."),
    jurisdiction: labelName(
      "Optional data-residency jurisdiction of the cluster, e.g. us or eu. A FailoverPolicy's allowedJurisdictions never lets an app fail over into a cluster of another jurisdiction.",
    ),
    kubeconfigSecretRef: obj(
      {
        namespace: labelName("Namespace of the Secret, usually the operator's namespace (meridian-system)."),
        name: objectName("Name of the Secret."),
        key: str({
          description: "Key in the Secret's data holding the kubeconfig file.",
          default: "kubeconfig",
          pattern: "^[-._a-zA-Z0-9]+$",
          minLength: 1,
          maxLength: 253,
        }),
      },
      {
        description:
          "The Secret holding a kubeconfig for this cluster, with certificates and keys embedded (the operator's pod cannot read files on your machine).",
        required: ["namespace", "name"],
        typeName: "SecretKeyReference",
      },
    ),
    allowExecAuth: bool({
      description:
        "Allow a kubeconfig that authenticates through an exec or auth-provider plugin. Off by default because such a plugin runs a program inside the operator's pod.",
      default: false,
    }),
  },
  {
    description: "How to reach the cluster and where it is.",
    required: ["region", "kubeconfigSecretRef"],
    typeName: "MemberClusterSpec",
  },
);

const status = obj(
  {
    observedGeneration,
    conditions: conditions(Object.values(MemberClusterCondition)),
    serverVersion: str({
      description:
        "Kubernetes version the cluster's API server reported at the last successful probe, e.g. v1.36.3.",
      maxLength: 64,
    }),
    apiLatencyMs: int({
      description: "Round-trip time of the last /readyz probe, in milliseconds.",
      min: 0,
    }),
    lastProbeTime: time({ description: "When the hub last probed the cluster, whatever the result." }),
  },
  { description: "What the hub last observed about the cluster.", typeName: "MemberClusterStatus" },
);

export const memberCluster: KindDefinition = {
  kind: "MemberCluster",
  plural: "memberclusters",
  singular: "membercluster",
  shortNames: ["mc"],
  scope: "Cluster",
  description:
    "A Kubernetes cluster registered with Meridian: one per region an app can run in. The hub probes it every health-check interval and fails apps over away from it when it stops answering.",
  spec,
  status,
  printerColumns: [
    { name: "Region", type: "string", jsonPath: ".spec.region", description: "The cluster's region." },
    conditionColumn(
      MemberClusterCondition.Reachable,
      "Whether the hub reached the API server at the last probe.",
    ),
    {
      name: "Version",
      type: "string",
      jsonPath: ".status.serverVersion",
      description: "Kubernetes version of the cluster.",
    },
    ageColumn,
  ],
};
