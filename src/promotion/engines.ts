import { ConfigurationError } from "../runtime/errors.ts";
import { CloudNativePgPromoter } from "./cloudnative-pg.ts";
import { JobPromoter } from "./job.ts";
import { PostgresPromoter } from "./postgresql.ts";
import type { Promoter } from "./promoter.ts";

const postgres = new PostgresPromoter();
const cloudNativePg = new CloudNativePgPromoter();
const job = new JobPromoter();

/**
 * The Promoter for spec.database.engine; undefined for `none` (only the workload and DNS move).
 * An engine this build cannot drive stops the promotion with a clear reason rather than being
 * treated as "no database", which would promote nothing and still move traffic.
 */
export function promoterFor(engine: string): Promoter | undefined {
  switch (engine) {
    case "none":
      return undefined;
    case "postgresql":
      return postgres;
    case "cloudnative-pg":
      return cloudNativePg;
    case "job":
      return job;
    default:
      throw new ConfigurationError(
        `spec.database.engine ${engine} is not supported by this version of Meridian yet`,
      );
  }
}
