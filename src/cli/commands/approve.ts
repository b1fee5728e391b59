// meridian approve PROMOTION: sets spec.approved on a promotion a Manual policy holds back.
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { Command } from "commander";
import { group, version } from "../../api/group.ts";
import type { ReplicaPromotion } from "../../api/types.generated.ts";
import { type CliIO, durationFlag, kubeOptions, withKubeOptions } from "../context.ts";
import { parseDuration } from "../format.ts";
import { apiError, CliError, connect, getPromotion, type Hub, type KubeOptions, plural } from "../kube.ts";
import { follow } from "./promote.ts";
import { isFinished } from "./promotion-progress.ts";
import { exitCodesHelp } from "./switchover.ts";

export function registerApprove(program: Command, io: CliIO, done: (code: number) => void): void {
  const cmd = program
    .command("approve")
    .argument("<promotion>", "the ReplicaPromotion (see `meridian promotions`)")
    .summary("approve a promotion that waits for a person (Manual policy), and follow it")
    .description(
      "Sets spec.approved: true on a ReplicaPromotion, which a FailoverPolicy in Manual mode makes " +
        "wait for a person, then follows it like switchover. Approving twice is harmless; a " +
        "promotion that has already ended cannot be approved. The approval stays on record.",
    )
    .option("--timeout <duration>", "how long to follow the promotion", "10m")
    .option("--no-wait", "approve and return without following");
  withKubeOptions(cmd)
    .addHelpText(
      "after",
      `\nExample:\n  kubectl meridian approve checkout-failover-3-4 -n shop\n${exitCodesHelp}`,
    )
    .action(async (name: string, o: { timeout: string; wait: boolean } & KubeOptions) => {
      const hub = connect(kubeOptions(o));
      const timeoutMs = durationFlag("--timeout", o.timeout, parseDuration);
      const p = await approve(hub, io, name);
      done(o.wait ? await follow(hub, io, p, timeoutMs) : 0);
    });
}

async function approve(hub: Hub, io: CliIO, name: string): Promise<ReplicaPromotion> {
  const p = await getPromotion(hub, name);
  const id = `ReplicaPromotion ${hub.namespace}/${name}`;
  if (isFinished(p)) {
    throw new CliError(`${id} has already ended (${p.status?.phase}): there is nothing to approve`);
  }
  if (p.spec.approved) {
    io.out(`${id} was already approved`);
    return p;
  }
  try {
    const approved = (await hub.custom.patchNamespacedCustomObject(
      {
        group,
        version,
        plural: plural.promotion,
        namespace: hub.namespace,
        name,
        body: { spec: { approved: true } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as ReplicaPromotion;
    io.out(
      `${id} approved: ${approved.spec.type} of ${approved.spec.appRef.name} to ${approved.spec.targetRegion}`,
    );
    return approved;
  } catch (err) {
    throw apiError(err, `approving ${id}`, hub);
  }
}
