// meridian switchover APP --to REGION: a planned move of the primary, followed live.
import type { Command } from "commander";
import { type CliIO, durationFlag, kubeOptions, withKubeOptions } from "../context.ts";
import { parseDuration } from "../format.ts";
import { connect, type KubeOptions } from "../kube.ts";
import { promoteAndFollow } from "./promote.ts";

export interface PromoteOptions extends KubeOptions {
  reason?: string;
  timeout: string;
  wait: boolean;
  dryRun?: boolean;
}

/** --reason, --timeout, --no-wait, --dry-run: shared by switchover and drill. */
export function withPromoteOptions(cmd: Command, what: string): Command {
  return cmd
    .option("--reason <text>", `why, in words; kept on the ReplicaPromotion for the audit trail`)
    .option("--timeout <duration>", `how long to follow the ${what} (e.g. 90s, 10m)`, "10m")
    .option("--no-wait", `create the ${what} and return without following it`)
    .option("--dry-run", "run every check and report what would happen, changing nothing");
}

export const exitCodesHelp =
  "\nExit codes: 0 Succeeded; 1 Failed, Aborted or refused; 2 usage error;\n" +
  "            3 still running when --timeout passed or Ctrl-C was pressed (the operator goes on).";

export function registerSwitchover(program: Command, io: CliIO, done: (code: number) => void): void {
  const cmd = program
    .command("switchover")
    .argument("<app>", "the RegionalApp")
    .requiredOption("--to <region>", "the region to promote: a name in the app's spec.regions")
    .summary("move an app's primary to another region, losing nothing, and follow it live")
    .description(
      "Creates a ReplicaPromotion of type Switchover and follows it: each phase (Fencing, Promoting, " +
        "Rerouting, Verifying) with the time since the operator picked it up, and the DNS answer before " +
        "and after (queried from the authoritative server for rfc2136, or the DNSEndpoint's targets). " +
        "The operator fences the old primary, waits until the target has replayed every write, promotes " +
        "it and moves DNS. The person running the command approves the promotion (spec.approved: true), " +
        "also under a Manual policy. spec.primaryRegion is not changed: to make the new region the " +
        "preferred one, change it in Git (which is itself a switchover when done first).",
    );
  withPromoteOptions(withKubeOptions(cmd), "switchover")
    .addHelpText(
      "after",
      `\nExample:\n  kubectl meridian switchover checkout -n shop --to eu-west --reason "us-east maintenance"\n${exitCodesHelp}`,
    )
    .action(async (app: string, o: PromoteOptions & { to: string }) => {
      const hub = connect(kubeOptions(o));
      const timeoutMs = durationFlag("--timeout", o.timeout, parseDuration);
      done(
        await promoteAndFollow(
          hub,
          io,
          app,
          {
            type: "Switchover",
            targetRegion: o.to,
            reason: o.reason ?? "switchover requested with the meridian CLI",
            dryRun: o.dryRun === true,
          },
          { follow: o.wait, timeoutMs },
        ),
      );
    });
}
