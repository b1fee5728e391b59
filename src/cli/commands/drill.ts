// meridian drill APP: a failover rehearsal as a ReplicaPromotion of type Drill, followed live.
import type { Command } from "commander";
import type { RegionalApp } from "../../api/types.generated.ts";
import { type CliIO, durationFlag, kubeOptions, withKubeOptions } from "../context.ts";
import { parseDuration } from "../format.ts";
import { CliError, connect, getApp } from "../kube.ts";
import { promoteAndFollow } from "./promote.ts";
import { exitCodesHelp, type PromoteOptions, withPromoteOptions } from "./switchover.ts";

/** The region a failover would pick: healthy, not the primary, lowest priority (earlier entry on ties). */
export function drillTarget(app: RegionalApp): string {
  const primary = app.status?.currentPrimary ?? app.spec.primaryRegion;
  const healthy = (name: string) => app.status?.regions?.find((r) => r.name === name)?.healthy === true;
  const candidates = app.spec.regions
    .filter((r) => r.name !== primary && healthy(r.name))
    .sort((a, b) => a.priority - b.priority);
  const target = candidates[0]?.name;
  if (!target) {
    throw new CliError(
      `RegionalApp ${app.metadata?.namespace}/${app.metadata?.name} has no healthy region besides its primary ${primary} to drill into: see \`meridian status ${app.metadata?.name}\`, or name one with --to`,
    );
  }
  return target;
}

export function registerDrill(program: Command, io: CliIO, done: (code: number) => void): void {
  const cmd = program
    .command("drill")
    .argument("<app>", "the RegionalApp")
    .option("--to <region>", "the region to drill into (default: the region a failover would choose)")
    .summary("rehearse a failover: create a Drill ReplicaPromotion and follow it live")
    .description(
      "Creates a ReplicaPromotion of type Drill, a planned switchover to the target (and, as the " +
        "operator implements drills, back again) that records the measured RTO, and follows it like " +
        "switchover. Without --to it drills into the region an automatic failover would pick.",
    );
  withPromoteOptions(withKubeOptions(cmd), "drill")
    .addHelpText("after", `\nExample:\n  kubectl meridian drill checkout -n shop\n${exitCodesHelp}`)
    .action(async (appName: string, o: PromoteOptions & { to?: string }) => {
      const hub = connect(kubeOptions(o));
      const timeoutMs = durationFlag("--timeout", o.timeout, parseDuration);
      const target = o.to ?? drillTarget(await getApp(hub, appName));
      done(
        await promoteAndFollow(
          hub,
          io,
          appName,
          {
            type: "Drill",
            targetRegion: target,
            reason: o.reason ?? "drill requested with the meridian CLI",
            dryRun: o.dryRun === true,
          },
          { follow: o.wait, timeoutMs },
        ),
      );
    });
}
