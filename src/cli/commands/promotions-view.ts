// The audit trail as a table: every ReplicaPromotion, oldest first. Pure.
import type { ReplicaPromotion } from "../../api/types.generated.ts";
import { age, bytes, seconds } from "../format.ts";
import { type Cell, table } from "../style.ts";

const phaseCell = (phase: string): Cell => ({
  text: phase,
  tone: phase === "Succeeded" ? "good" : phase === "Failed" || phase === "Aborted" ? "bad" : "warn",
});

export const byCreation = (a: ReplicaPromotion, b: ReplicaPromotion) =>
  String(a.metadata?.creationTimestamp ?? "").localeCompare(String(b.metadata?.creationTimestamp ?? "")) ||
  String(a.metadata?.name).localeCompare(String(b.metadata?.name));

export function formatPromotions(
  list: ReplicaPromotion[],
  opts: { now: number; color: boolean; allNamespaces: boolean },
): string[] {
  const header = [
    ...(opts.allNamespaces ? ["NAMESPACE"] : []),
    ...["NAME", "APP", "TYPE", "FROM", "TO", "PHASE", "EPOCH", "RTO", "LAG", "AGE", "REASON"],
  ].map((text): Cell => ({ text, tone: "dim" }));
  const rows = [...list].sort(byCreation).map((p): (Cell | string)[] => {
    const s = p.status;
    const phase = s?.phase ?? "Pending";
    const waiting = phase === "Pending" && !p.spec.approved ? " (unapproved)" : "";
    const flags = [p.spec.dryRun ? "dry run" : "", p.spec.allowDataLoss ? "data loss allowed" : ""].filter(
      Boolean,
    );
    return [
      ...(opts.allNamespaces ? [p.metadata?.namespace ?? ""] : []),
      p.metadata?.name ?? "",
      p.spec.appRef.name,
      p.spec.type,
      s?.fromRegion ?? "-",
      p.spec.targetRegion,
      phaseCell(phase + waiting),
      s?.epoch === undefined ? "-" : String(s.epoch),
      seconds(s?.rtoSeconds),
      bytes(s?.lagBytesAtPromotion),
      age(p.metadata?.creationTimestamp, opts.now),
      [p.spec.reason ?? "", ...flags.map((f) => `[${f}]`)].filter(Boolean).join(" ") || "-",
    ];
  });
  return table([header, ...rows], opts.color);
}
