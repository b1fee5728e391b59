// meridian status [APP]: what Meridian thinks of each app, from the RegionalApp's status.
import type { Command } from "commander";
import {
  type CliIO,
  kubeOptions,
  type OutputFormat,
  outputOption,
  pause,
  printData,
  withKubeOptions,
} from "../context.ts";
import { CliError, connect, getApp, type Hub, type KubeOptions, listApps } from "../kube.ts";
import { type AppView, appView, formatStatus } from "./status-view.ts";

interface StatusOptions extends KubeOptions {
  output: OutputFormat;
  watch?: boolean;
  allNamespaces?: boolean;
}

const watchIntervalMs = 1000;

export function registerStatus(program: Command, io: CliIO, done: (code: number) => void): void {
  const cmd = program
    .command("status")
    .argument("[app]", "a RegionalApp; all apps in the namespace when omitted")
    .summary("show each app's primary, regions, failover readiness and last failover")
    .description(
      "Shows what Meridian observes for each RegionalApp: the primary region, every region's health " +
        "and replication lag with the last probe's result, whether a failover would succeed right now " +
        "(FailoverReady), the last failover or switchover with its measured RTO, and any condition that " +
        "needs attention. -o json|yaml prints the same facts as data.",
    )
    .addOption(outputOption())
    .option("-w, --watch", "keep watching; print again whenever something changes (Ctrl-C stops)")
    .addHelpText(
      "after",
      "\nExamples:\n  meridian status -A\n  meridian status checkout -n shop --watch\n  kubectl meridian status checkout -n shop -o yaml",
    );
  withKubeOptions(cmd, { allNamespaces: true }).action(async (app: string | undefined, o: StatusOptions) => {
    const hub = connect(kubeOptions(o));
    if (app && o.allNamespaces) throw new CliError("give an app name or -A, not both", 2);
    done(await runStatus(hub, io, app, o));
  });
}

async function views(hub: Hub, app: string | undefined, allNamespaces: boolean): Promise<AppView[]> {
  if (app) return [appView(await getApp(hub, app))];
  const apps = await listApps(hub, allNamespaces);
  return apps
    .map(appView)
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

function render(io: CliIO, found: AppView[], app: string | undefined, o: StatusOptions, namespace: string) {
  if (o.output !== "table") {
    return printData(io, o.output, app ? found[0] : { items: found });
  }
  if (found.length === 0) {
    io.out(
      o.allNamespaces
        ? "No RegionalApps in any namespace."
        : `No RegionalApps in namespace ${namespace} (use -A for all namespaces).`,
    );
    return;
  }
  for (const line of formatStatus(found, { now: io.now(), color: io.color })) io.out(line);
}

async function runStatus(hub: Hub, io: CliIO, app: string | undefined, o: StatusOptions): Promise<number> {
  const first = await views(hub, app, o.allNamespaces === true);
  render(io, first, app, o, hub.namespace);
  if (!o.watch) return 0;
  // Compared without the clock, so "3s ago" turning into "4s ago" is no change.
  let last = JSON.stringify(first);
  while (!io.signal.aborted) {
    await pause(watchIntervalMs, io.signal);
    if (io.signal.aborted) break;
    let next: AppView[];
    try {
      next = await views(hub, app, o.allNamespaces === true);
    } catch (err) {
      io.err(`${new Date(io.now()).toISOString()}  ${(err as Error).message} (still watching)`);
      continue;
    }
    const key = JSON.stringify(next);
    if (key === last) continue;
    last = key;
    if (o.output === "table") io.out(`\n--- ${new Date(io.now()).toISOString().slice(11, 19)}Z`);
    render(io, next, app, o, hub.namespace);
  }
  return 0;
}
