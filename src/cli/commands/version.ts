// meridian version
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { apiVersion } from "../../api/group.ts";
import { type CliIO, type OutputFormat, outputOption, printData } from "../context.ts";

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export function registerVersion(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("version")
    .summary("print the version")
    .description("Prints the version of this meridian program and the API version it speaks.")
    .addOption(outputOption())
    .action((o: { output: OutputFormat }) => {
      if (o.output === "table") io.out(`meridian ${version()}`);
      else printData(io, o.output, { version: version(), apiVersion, node: process.version });
      done(0);
    });
}
