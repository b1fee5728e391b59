import { failoverPolicy } from "./failover-policy.ts";
import type { KindDefinition } from "./kind.ts";
import { memberCluster } from "./member-cluster.ts";
import { regionalApp } from "./regional-app.ts";
import { replicaPromotion } from "./replica-promotion.ts";

/** Every Meridian kind, in the order the reference docs present them. */
export const kinds: KindDefinition[] = [memberCluster, failoverPolicy, regionalApp, replicaPromotion];
