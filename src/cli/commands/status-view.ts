// What `meridian status` shows of a RegionalApp, as plain data (the -o json/yaml shape), and the
// table people read. Pure: the clock and colour are arguments.
import type { Condition, RegionalApp } from "../../api/types.generated.ts";
import { age, bytes, seconds } from "../format.ts";
import { type Cell, paint, table } from "../style.ts";

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
}

export interface RegionView {
  name: string;
  role: "primary" | "standby";
  /** undefined until the first probe. */
  healthy: boolean | undefined;
  lagBytes?: number;
  /** The last probe's result in words. */
  message?: string;
  endpoint: string;
}

export interface AppView {
  namespace: string;
  name: string;
  topology: string;
  /** status.currentPrimary, else the spec's choice before the first observation. */
  primary: string;
  /** spec.primaryRegion: the preferred primary. */
  preferredPrimary: string;
  epoch: number;
  suspended: boolean;
  failoverReady?: ConditionView;
  /** Conditions in a state that needs a person's attention (Degraded True, Ready False, ...). */
  attention: ConditionView[];
  handover?: { from: string; to: string; epoch: number; promotion: string };
  regions: RegionView[];
  lastFailover?: {
    type?: string;
    from?: string;
    to?: string;
    reason?: string;
    promotion?: string;
    completedAt?: string;
    rtoSeconds?: number;
    dataLossBytes?: number;
  };
}

/** The state of each condition that is good news; any other state is shown as needing attention. */
const healthyState: Record<string, string> = {
  Ready: "True",
  Degraded: "False",
  FailoverInProgress: "False",
  Fenced: "False",
  DnsReady: "True",
  PrimaryAsSpecified: "True",
  Reconciling: "False",
  Stalled: "False",
};

const view = (c: Condition): ConditionView => ({
  type: c.type,
  status: c.status,
  reason: c.reason,
  message: c.message,
});

export function appView(app: RegionalApp): AppView {
  const s = app.status;
  const primary = s?.currentPrimary ?? app.spec.primaryRegion;
  const failoverReady = s?.conditions?.find((c) => c.type === "FailoverReady");
  const lf = s?.lastFailover;
  return {
    namespace: app.metadata?.namespace ?? "",
    name: app.metadata?.name ?? "",
    topology: app.spec.topology,
    primary,
    preferredPrimary: app.spec.primaryRegion,
    epoch: s?.epoch ?? 0,
    suspended: app.spec.suspend,
    ...(failoverReady ? { failoverReady: view(failoverReady) } : {}),
    attention: (s?.conditions ?? [])
      .filter((c) => healthyState[c.type] !== undefined && c.status !== healthyState[c.type])
      .map(view),
    ...(s?.handover
      ? {
          handover: {
            from: s.handover.from,
            to: s.handover.to,
            epoch: s.handover.epoch,
            promotion: s.handover.promotionRef,
          },
        }
      : {}),
    regions: app.spec.regions.map((r) => {
      const rs = s?.regions?.find((x) => x.name === r.name);
      return {
        name: r.name,
        role: r.name === primary ? "primary" : "standby",
        healthy: rs?.healthy,
        ...(rs?.replicationLagBytes !== undefined ? { lagBytes: rs.replicationLagBytes } : {}),
        ...(rs?.message ? { message: rs.message } : {}),
        endpoint: r.endpoint,
      };
    }),
    ...(lf
      ? {
          lastFailover: {
            type: lf.type,
            from: lf.from,
            to: lf.to,
            reason: lf.reason,
            promotion: lf.promotionRef,
            completedAt: lf.completedAt,
            rtoSeconds: lf.rtoSeconds,
            dataLossBytes: lf.dataLossEstimate?.bytes,
          },
        }
      : {}),
  };
}

const statusTone = (good: boolean | undefined): Cell["tone"] =>
  good === undefined ? "warn" : good ? "good" : "bad";

function healthCell(healthy: boolean | undefined): Cell {
  return {
    text: healthy === undefined ? "Unknown" : healthy ? "Healthy" : "Unhealthy",
    tone: statusTone(healthy),
  };
}

function readyText(c: ConditionView | undefined, color: boolean): string {
  if (!c) return paint(color, "warn", "Unknown (not observed yet)");
  const text = `${c.status} (${c.reason})`;
  return (
    paint(color, c.status === "True" ? "good" : "bad", text) + (c.status === "True" ? "" : `: ${c.message}`)
  );
}

function lastFailoverText(v: AppView, now: number): string {
  const lf = v.lastFailover;
  if (!lf) return "none";
  const lost =
    lf.dataLossBytes === undefined
      ? ""
      : lf.dataLossBytes === 0
        ? ", no data lost"
        : `, up to ${bytes(lf.dataLossBytes)} lost`;
  return `${lf.type ?? "Failover"} ${lf.from ?? "?"} → ${lf.to ?? "?"}, ${age(lf.completedAt, now)} ago, RTO ${seconds(lf.rtoSeconds)}${lost}${lf.promotion ? ` (${lf.promotion})` : ""}`;
}

/** One app as people read it: a header, the app's facts, a table of its regions, and what needs attention. */
export function formatApp(v: AppView, opts: { now: number; color: boolean }): string[] {
  const { now, color } = opts;
  const lines = [
    `${paint(color, "bold", v.name)}  ${paint(color, "dim", `namespace ${v.namespace}, ${v.topology}, epoch ${v.epoch}${v.suspended ? ", SUSPENDED" : ""}`)}`,
    ...table(
      [
        [
          "Primary:",
          v.primary +
            (v.primary === v.preferredPrimary
              ? ""
              : paint(color, "warn", ` (spec.primaryRegion prefers ${v.preferredPrimary})`)),
        ],
        ["Failover ready:", readyText(v.failoverReady, color)],
        ["Last failover:", lastFailoverText(v, now)],
        ...(v.handover
          ? [
              [
                "In progress:",
                `${v.handover.promotion}: ${v.handover.from} → ${v.handover.to} at epoch ${v.handover.epoch}`,
              ],
            ]
          : []),
      ],
      color,
      "  ",
    ),
    "",
    ...table(
      [
        ["REGION", "ROLE", "HEALTH", "LAG", "REASON"].map((text) => ({ text, tone: "dim" as const })),
        ...v.regions.map((r) => [
          r.name,
          { text: r.role, tone: r.role === "primary" ? ("bold" as const) : undefined },
          healthCell(r.healthy),
          r.role === "primary" ? "-" : bytes(r.lagBytes),
          r.message ?? "-",
        ]),
      ],
      color,
      "  ",
    ),
  ];
  const attention = v.attention.filter((c) => c.type !== "FailoverReady");
  if (attention.length > 0) {
    lines.push("");
    for (const c of attention)
      lines.push(`  ${paint(color, "warn", `${c.type}=${c.status}`)} ${c.reason}: ${c.message}`);
  }
  return lines;
}

/** Every app, one block each, separated by blank lines. */
export function formatStatus(views: AppView[], opts: { now: number; color: boolean }): string[] {
  return views.flatMap((v, i) => [...(i > 0 ? [""] : []), ...formatApp(v, opts)]);
}
