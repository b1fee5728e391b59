// A process that only campaigns for a Lease and reports what happens as JSON lines on stdout, so
// tests can SIGKILL a real leader. Arguments: <kubeconfig-path> <namespace> <identity>
// <leaseSeconds> <renewSeconds> <retrySeconds>. SIGTERM stops it gracefully (releasing the Lease).
import { KubeConfig } from "@kubernetes/client-node";
import { LeaderElector } from "../../src/runtime/leader-election.ts";
import { createLogger } from "../../src/runtime/logger.ts";

const [kubeconfig, namespace, identity, lease, renew, retry] = process.argv.slice(2);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig as string);
const emit = (event: string) => console.log(JSON.stringify({ event, identity, at: Date.now() }));
const elector = new LeaderElector(
  kc,
  {
    namespace: namespace as string,
    name: "meridian-leader",
    identity: identity as string,
    leaseDurationSeconds: Number(lease),
    renewDeadlineSeconds: Number(renew),
    retryPeriodSeconds: Number(retry),
  },
  createLogger(process.stderr, "warn"),
);
process.once("SIGTERM", () => elector.stop());
await elector.run({ onStartedLeading: () => emit("started"), onStoppedLeading: () => emit("stopped") });
emit("exited");
