#!/usr/bin/env node
// `kubectl meridian …`: kubectl runs any `kubectl-<name>` on the PATH as a plugin, passing the
// remaining arguments. The same program as `meridian`, with help that names it as kubectl does.
import { runProcess } from "./main.ts";

await runProcess("kubectl meridian");
