// meridian promotions [APP]: the audit trail of failovers, switchovers and drills.
import type { Command } from "commander";
import {
  type CliIO,
  kubeOptions,
  type OutputFormat,
  outputOption,
  printData,
  withKubeOptions,
} from "../context.ts";
import { connect, listPromotions } from "../kube.ts";
import { byCreation, formatPromotions } from "./promotions-view.ts";

export function registerPromotions(program: Command, io: CliIO, done: (code: number) => void): void {
  const cmd = program
    .command("promotions")
    .argument("[app]", "only this RegionalApp's promotions")
    .summary("list failovers, switchovers and drills: the audit trail")
    .description(
      "Lists ReplicaPromotions oldest first: type, from and to region, phase, epoch, measured RTO, " +
        "replication lag at promotion and reason. The operator creates one for every automatic " +
        "failover; switchover, drill and Git create the others. -o json|yaml prints the objects.",
    )
    .addOption(outputOption());
  withKubeOptions(cmd, { allNamespaces: true })
    .addHelpText(
      "after",
      "\nExamples:\n  meridian promotions checkout -n shop\n  meridian promotions -A -o yaml",
    )
    .action(async (app: string | undefined, o: { output: OutputFormat; allNamespaces?: boolean }) => {
      const hub = connect(kubeOptions(o));
      const all = await listPromotions(hub, o.allNamespaces === true);
      const list = all.filter((p) => !app || p.spec.appRef.name === app).sort(byCreation);
      if (o.output !== "table") {
        printData(io, o.output, { items: list });
      } else if (list.length === 0) {
        const where = o.allNamespaces ? "any namespace" : `namespace ${hub.namespace}`;
        io.out(`No ReplicaPromotions${app ? ` of ${app}` : ""} in ${where}.`);
      } else {
        const lines = formatPromotions(list, {
          now: io.now(),
          color: io.color,
          allNamespaces: o.allNamespaces === true,
        });
        for (const line of lines) io.out(line);
      }
      done(0);
    });
}
