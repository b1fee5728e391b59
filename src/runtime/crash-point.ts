// A test-only crash switch: lets a test kill the operator or the agent at an exact point on the
// failover path (between two writes) instead of by timing.
//
//   MERIDIAN_CRASH_AT=<name>      the first time crashPoint("<name>") is reached,
//   MERIDIAN_CRASH_AT=<name>#<N>  the N-th time it is reached,
// the process writes one line {"crashPoint":"<name>"} to stderr and is SIGKILLed at once: no
// cleanup, no flushed buffers, no exit handlers, like a real crash. Unset (production), a call is
// one comparison against a value read once at start-up.
import { writeSync } from "node:fs";

export interface CrashSpec {
  name: string;
  /** 1-based: crash the N-th time the point is reached. */
  nth: number;
}

/** Parses MERIDIAN_CRASH_AT; undefined when unset or empty. Throws on a malformed value. */
export function parseCrashAt(value: string | undefined): CrashSpec | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const match = /^([^#\s]+)(?:#(\d+))?$/.exec(value.trim());
  const nth = match?.[2] === undefined ? 1 : Number(match[2]);
  if (!match?.[1] || !Number.isSafeInteger(nth) || nth < 1) {
    throw new Error(`MERIDIAN_CRASH_AT must be <name> or <name>#<N> with N >= 1, got "${value}"`);
  }
  return { name: match[1], nth };
}

// Read once: a typo must not pass silently (the process would then never crash and the test would
// only time out), so a malformed value stops the process at start-up.
const armed: CrashSpec | undefined = parseCrashAt(process.env.MERIDIAN_CRASH_AT);
let reached = 0;

/** Marks a point on the failover path; kills the process here when MERIDIAN_CRASH_AT names it. */
export function crashPoint(name: string): void {
  if (armed === undefined || armed.name !== name) return;
  reached++;
  if (reached < armed.nth) return;
  writeSync(2, `${JSON.stringify({ crashPoint: name })}\n`);
  process.kill(process.pid, "SIGKILL");
}
