// How a running ReplicaPromotion is shown while a person follows it: one line per phase with the
// time since the operator picked it up (the operator's own clock, so no two machines' clocks are
// compared), a line whenever what it waits for changes, and the outcome. Pure.
import type { ReplicaPromotion } from "../../api/types.generated.ts";
import { bytes, seconds } from "../format.ts";
import { paint, type Tone } from "../style.ts";

export interface Progress {
  /** Steps already printed. */
  steps: number;
  /** The last waiting note printed. */
  note: string;
  approvalHinted: boolean;
}

export const startProgress = (): Progress => ({ steps: 0, note: "", approvalHinted: false });

export const terminalPhases = ["Succeeded", "Failed", "Aborted"];
export const isFinished = (p: ReplicaPromotion) => terminalPhases.includes(p.status?.phase ?? "");

const phaseTone = (phase: string): Tone | undefined =>
  phase === "Succeeded" ? "good" : phase === "Failed" || phase === "Aborted" ? "bad" : undefined;

/** The lines to print for what changed since `seen`, and the new state. */
export function progressLines(
  p: ReplicaPromotion,
  seen: Progress,
  color: boolean,
): { lines: string[]; seen: Progress } {
  const lines: string[] = [];
  const steps = p.status?.steps ?? [];
  const origin = Date.parse(steps[0]?.startedAt ?? "");
  for (const step of steps.slice(seen.steps)) {
    const at = Date.parse(step.startedAt ?? "");
    const elapsed =
      Number.isFinite(at) && Number.isFinite(origin) ? `+${((at - origin) / 1000).toFixed(2)}s` : "";
    const name = paint(color, phaseTone(step.name) ?? "bold", step.name.padEnd(10));
    lines.push(`  ${elapsed.padStart(8)}  ${name}  ${step.message ?? ""}`.trimEnd());
  }
  const ready = p.status?.conditions?.find((c) => c.type === "Ready");
  const last = steps.at(-1);
  let note = seen.note;
  if (!isFinished(p) && ready?.message && ready.message !== last?.message && ready.message !== seen.note) {
    note = ready.message;
    lines.push(`  ${"".padStart(8)}  ${paint(color, "dim", `… ${note}`)}`);
  }
  let approvalHinted = seen.approvalHinted;
  if (!approvalHinted && !p.spec.approved && (p.status?.phase ?? "Pending") === "Pending" && p.status) {
    const reason = ready?.message ?? "";
    if (/approv/i.test(reason)) {
      approvalHinted = true;
      lines.push(
        `  ${"".padStart(8)}  ${paint(color, "warn", `waiting for approval: meridian approve ${p.metadata?.name} -n ${p.metadata?.namespace}`)}`,
      );
    }
  }
  return { lines, seen: { steps: steps.length, note, approvalHinted } };
}

/** The last line: the outcome with the measured RTO and lag, or why it failed. */
export function outcomeLine(p: ReplicaPromotion, color: boolean): string {
  const s = p.status;
  const phase = s?.phase ?? "Pending";
  if (phase === "Succeeded") {
    const dry = p.spec.dryRun ? " (dry run: nothing was changed)" : "";
    return `${paint(color, "good", "Succeeded")}: ${s?.fromRegion ?? "?"} → ${p.spec.targetRegion} at epoch ${s?.epoch ?? "?"}, RTO ${seconds(s?.rtoSeconds)}, lag at promotion ${bytes(s?.lagBytesAtPromotion)}${dry}`;
  }
  const why = s?.conditions?.find((c) => c.type === "Ready")?.message ?? s?.steps?.at(-1)?.message ?? "";
  return `${paint(color, "bad", phase)}: ${why}`;
}
