// What every user command needs besides its arguments: where to print, whether to colour, how to
// ask a person, when to stop (Ctrl-C), and the kubectl-style connection options.
import { type Command, Option } from "commander";
import { stringify } from "yaml";
import { CliError, type KubeOptions } from "./kube.ts";

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** Colour the output (a terminal, NO_COLOR unset). */
  color: boolean;
  /** Asks a yes/no question on the terminal; false when there is no one to ask. */
  confirm(question: string): Promise<boolean>;
  /** Aborted when the person presses Ctrl-C: long-running commands stop following and say so. */
  signal: AbortSignal;
  now(): number;
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** kubectl's connection flags, on every user command (so `--help` lists them where they apply). */
export function withKubeOptions(cmd: Command, opts: { allNamespaces?: boolean } = {}): Command {
  cmd
    .option("--kubeconfig <file>", "kubeconfig of the hub cluster (default $KUBECONFIG or ~/.kube/config)")
    .option("--context <name>", "kubeconfig context to use")
    .option("-n, --namespace <name>", "namespace (default: the context's namespace, else default)");
  if (opts.allNamespaces) cmd.option("-A, --all-namespaces", "across all namespaces");
  return cmd;
}

export type OutputFormat = "table" | "json" | "yaml";

export const outputOption = () =>
  new Option("-o, --output <format>", "output format").choices(["table", "json", "yaml"]).default("table");

/** Machine-readable output: JSON (2-space indent) or YAML. */
export function printData(io: CliIO, format: "json" | "yaml", data: unknown): void {
  io.out(format === "json" ? JSON.stringify(data, null, 2) : stringify(data).trimEnd());
}

/** The kubectl options out of a command's parsed options. */
export function kubeOptions(o: KubeOptions): KubeOptions {
  return {
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    ...(o.context ? { context: o.context } : {}),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.allNamespaces ? { allNamespaces: true } : {}),
  };
}

/** Parses a --timeout value, naming the flag when it is not a duration. */
export function durationFlag(flag: string, text: string, parse: (t: string) => number | undefined): number {
  const ms = parse(text);
  if (ms === undefined || ms <= 0) {
    throw new CliError(`${flag} must be a duration such as 90s, 5m or 1h, got "${text}"`, 2);
  }
  return ms;
}
