// A randomized model of the whole fencing protocol: the hub's API server, the operator (crashing,
// changing leader), one agent and one database per region, every link between them able to be cut,
// messages delayed, processes crashing and restarting with their memory lost, and clocks running at
// different rates with different wall-clock offsets. The protocol's decisions are the real pure
// functions from src/fencing/protocol/; only the I/O around them is simulated. docs/fencing.md.
import { decideAppFence } from "../../../../src/fencing/protocol/agent-decision.ts";
import { mayPromoteAway } from "../../../../src/fencing/protocol/hub-decision.ts";
import {
  LeaseObservations,
  type RegionLeaseRecord,
} from "../../../../src/fencing/protocol/lease-observations.ts";
import {
  coveringPeers,
  type FailsafePromise,
  mustAbstain,
  promiseToGive,
} from "../../../../src/fencing/protocol/promises.ts";
import {
  type AgentCadence,
  agentCadence,
  type FencingTiming,
  hubReadIntervalMs,
  voterWindowMs,
} from "../../../../src/fencing/protocol/timing.ts";

/** Deliberate bugs the model must catch (each a rule the protocol depends on, removed). */
export type Mutant = "none" | "noMajority" | "silentPeerPromises" | "expiryFromRenewTime";

export type Fault =
  | { kind: "cut" | "heal"; link: string }
  | { kind: "crashAgent"; region: string; downMs: number }
  | { kind: "crashOperator"; downMs: number }
  | { kind: "hubApi"; up: boolean }
  | { kind: "isolate" | "rejoin"; region: string }
  /** The hub's API server stops answering agents (its ingress) while the operator still reaches every region. */
  | { kind: "hubIngress"; up: boolean }
  /** Isolates whichever region holds the primary at that moment. */
  | { kind: "isolatePrimary" }
  /** Every node on side 1 loses every link to side 0 (the hub's API server is always on side 0). */
  | { kind: "partition"; side1: string[] }
  | { kind: "healPartition" }
  | { kind: "promote"; target: string }
  | { kind: "rebuild"; region: string };

export interface ModelConfig {
  regions: string[];
  timing: FencingTiming;
  /** Clock rate per process (≤ 1 % off) and wall-clock offset (any). */
  rates: Record<string, number>;
  wallOffsetMs: Record<string, number>;
  /** One-way message delay bound (below every request timeout). */
  maxDelayMs: number;
  /** Faults at given times (ms), applied in order. */
  faults: { at: number; fault: Fault }[];
  /** Operator behaviour: "adversary" promotes only when a "promote" fault says so, at any moment; "health" fails over an unreachable primary. */
  operator: "adversary" | "health";
  detectionMs: number;
  mutant: Mutant;
  seed: number;
}

interface Database {
  primary: boolean;
  fenced: boolean;
}

interface AppStatus {
  primary: string;
  epoch: number;
  handover?: { from: string; to: string; epoch: number };
}

interface HubLease extends RegionLeaseRecord {
  /** The agent's wall clock when it sent the renewal (only the "expiryFromRenewTime" mutant reads it). */
  renewWallMs: number;
}

interface AgentState {
  alive: boolean;
  startedAt: number;
  lastRenewalSentAt: number | undefined;
  lastVoteSentAt: number | undefined;
  lastAttemptAt: number;
  renewing: boolean;
  firstRenewalPending: boolean;
  abstainUntil: number;
  promises: FailsafePromise[];
  lastAskAt: number;
  acks: Record<string, number>;
  advertised: string[] | undefined;
  incarnation: number;
}

interface OperatorState {
  alive: boolean;
  obs: LeaseObservations;
  lastListAt: number;
  listing: boolean;
  status: AppStatus | undefined;
  writing: boolean;
  unreachableSince: Record<string, number | undefined>;
  incarnation: number;
}

export interface Violation {
  at: number;
  what: string;
}

export interface ModelResult {
  violations: Violation[];
  /** When the last promotion completed (ms), and how many did. */
  promotions: { at: number; to: string }[];
  fencedAt: Record<string, number | undefined>;
  steps: number;
}

const app = "shop/checkout";
const tickMs = 100;
const listEveryMs = hubReadIntervalMs;
const askEveryMs = 500;

/** A tiny deterministic PRNG, so a seed replays a run exactly. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export const link = (a: string, b: string) => [a, b].sort().join("|");
export const hubApi = "hub-api";
export const operatorNode = "operator";
export const agentNode = (r: string) => `agent:${r}`;
export const dbNode = (r: string) => `db:${r}`;

export function runModel(cfg: ModelConfig, durationMs: number): ModelResult {
  const random = prng(cfg.seed);
  const cadence: AgentCadence = agentCadence([cfg.timing]);
  const local = (p: string, real: number) => real * (cfg.rates[p] ?? 1);
  const wall = (p: string, real: number) => (cfg.wallOffsetMs[p] ?? 0) + local(p, real);
  let now = 0;
  let steps = 0;
  const cut = new Set<string>();
  const isolated = new Set<string>();
  let side1 = new Set<string>();
  const queue: { at: number; seq: number; run: () => void }[] = [];
  let seq = 0;
  const later = (delayMs: number, run: () => void) => {
    queue.push({ at: now + delayMs, seq: seq++, run });
  };
  const delay = () => Math.floor(random() * cfg.maxDelayMs);
  const regionOf = (node: string) => node.split(":")[1];
  const up = (a: string, b: string) => {
    if (cut.has(link(a, b))) return false;
    const sideOf = (n: string) => side1.has(n) || side1.has(regionOf(n) ?? "");
    if (sideOf(a) !== sideOf(b)) return false;
    for (const n of [a, b]) {
      const r = regionOf(n);
      if (r && isolated.has(r) && regionOf(a) !== regionOf(b)) return false;
    }
    return true;
  };
  /** A request and its answer; the link is checked when each half travels. Lost: no answer at all. */
  const call = <T>(from: string, to: string, serve: () => T | undefined, answer: (value: T) => void) => {
    if (!up(from, to)) return;
    later(delay(), () => {
      if (!up(from, to)) return;
      const value = serve();
      if (value === undefined) return;
      later(delay(), () => {
        if (up(from, to)) answer(value);
      });
    });
  };

  let hubUp = true;
  const leases = new Map<string, HubLease>();
  let rv = 0;
  let status: AppStatus = { primary: cfg.regions[0] as string, epoch: 0 };
  const dbs = new Map<string, Database>(cfg.regions.map((r, i) => [r, { primary: i === 0, fenced: false }]));
  /** What each agent persisted in its own region (its assignment cache), kept across crashes. */
  const persisted = new Map<string, AppStatus>(cfg.regions.map((r) => [r, { ...status }]));
  const freshAgent = (incarnation: number): AgentState => ({
    alive: true,
    startedAt: now,
    lastRenewalSentAt: undefined,
    lastVoteSentAt: undefined,
    lastAttemptAt: Number.NEGATIVE_INFINITY,
    renewing: false,
    firstRenewalPending: true,
    abstainUntil: 0,
    promises: [],
    lastAskAt: Number.NEGATIVE_INFINITY,
    acks: {},
    advertised: undefined,
    incarnation,
  });
  const agents = new Map<string, AgentState>(cfg.regions.map((r) => [r, freshAgent(0)]));
  const freshOperator = (incarnation: number): OperatorState => ({
    alive: true,
    obs: new LeaseObservations({ maxGapMs: 3 * listEveryMs, retainMs: 60_000 }),
    lastListAt: Number.NEGATIVE_INFINITY,
    listing: false,
    status: undefined,
    writing: false,
    unreachableSince: {},
    incarnation,
  });
  let op = freshOperator(0);
  const violations: Violation[] = [];
  const promotions: { at: number; to: string }[] = [];
  const fencedAt: Record<string, number | undefined> = {};

  const agentTick = (r: string, a: AgentState) => {
    const node = agentNode(r);
    const t = local(node, now);
    const history = {
      lastVoteSentAt: a.lastVoteSentAt,
      lastRenewalSentAt: a.lastRenewalSentAt,
      startedAt: a.startedAt,
    };
    if (!a.renewing && t - a.lastAttemptAt >= cadence.renewIntervalMs) {
      a.renewing = true;
      a.lastAttemptAt = t;
      const abstain = mustAbstain(history, cadence, a.abstainUntil, t);
      if (!abstain) a.lastVoteSentAt = t;
      const inc = a.incarnation;
      const record = {
        abstain,
        voters: [...cfg.regions],
        fencedEpochs: { ...a.acks },
        renewWallMs: wall(node, now),
      };
      call(
        node,
        hubApi,
        () => {
          if (!hubUp) return undefined;
          leases.set(r, { ...record, resourceVersion: String(++rv) });
          return { ...status };
        },
        (seen) => {
          if (a.incarnation !== inc || !a.alive) return;
          a.lastRenewalSentAt = Math.max(a.lastRenewalSentAt ?? t, t);
          a.firstRenewalPending = false;
          if (a.lastAttemptAt === t) a.renewing = false;
          a.advertised = record.voters;
          persisted.set(r, seen);
        },
      );
      // The request is abandoned at its timeout; answers arrive within it or not at all.
      later(cadence.requestTimeoutMs / (cfg.rates[node] ?? 1), () => {
        if (a.incarnation !== inc || a.lastAttemptAt !== t) return;
        a.renewing = false;
        a.firstRenewalPending = false;
      });
    }
    const sinceRenewal = a.lastRenewalSentAt === undefined ? undefined : t - a.lastRenewalSentAt;
    if (
      (sinceRenewal === undefined || sinceRenewal > 2 * cadence.renewIntervalMs) &&
      t - a.lastAskAt >= askEveryMs
    ) {
      a.lastAskAt = t;
      for (const peer of cfg.regions.filter((p) => p !== r)) ask(r, a, peer, t);
    }
    const assignment = persisted.get(r) as AppStatus;
    const covering = coveringPeers(a.promises, cfg.timing, t);
    const decision = decideAppFence({
      self: r,
      assignment: {
        primaryCluster: assignment.primary,
        ...(assignment.handover
          ? {
              handover: {
                fromCluster: assignment.handover.from,
                toCluster: assignment.handover.to,
                epoch: assignment.handover.epoch,
              },
            }
          : {}),
      },
      sinceRenewalMs: sinceRenewal,
      firstRenewalPending: a.firstRenewalPending,
      timing: cfg.timing,
      members: cfg.regions,
      advertised: a.advertised,
      covering,
    });
    const db = dbs.get(r) as Database;
    if (decision.fence !== "none" && db.primary && !db.fenced) {
      // The fence completes within the margin the timing leaves for it.
      const epoch = assignment.handover?.epoch;
      later(Math.floor(random() * 500), () => {
        if (!db.fenced) fencedAt[r] = now;
        db.fenced = true;
        if (epoch !== undefined) a.acks[app] = epoch;
      });
    }
  };

  const ask = (r: string, a: AgentState, peer: string, askedAt: number) => {
    const inc = a.incarnation;
    const peerNode = agentNode(peer);
    const p = agents.get(peer) as AgentState;
    if (cfg.mutant === "silentPeerPromises" && !up(agentNode(r), peerNode)) {
      a.promises.push({ peer, askedAt, quietMs: Number.POSITIVE_INFINITY, holdMs: cadence.promiseHoldMs });
      return;
    }
    call(
      agentNode(r),
      peerNode,
      () => {
        if (!p.alive) return undefined;
        const pt = local(peerNode, now);
        const given = promiseToGive(
          {
            lastVoteSentAt: p.lastVoteSentAt,
            lastRenewalSentAt: p.lastRenewalSentAt,
            startedAt: p.startedAt,
          },
          cadence,
          pt,
        );
        if ("refused" in given) return undefined;
        p.abstainUntil = Math.max(p.abstainUntil, pt + given.holdMs);
        return given;
      },
      (given) => {
        if (a.incarnation !== inc) return;
        a.promises = [...a.promises.filter((x) => x.peer !== peer), { peer, askedAt, ...given }];
      },
    );
  };

  const operatorTick = () => {
    const t = local(operatorNode, now);
    if (!op.listing && t - op.lastListAt >= listEveryMs) {
      op.listing = true;
      op.lastListAt = t;
      const inc = op.incarnation;
      const sentAt = t;
      call(
        operatorNode,
        hubApi,
        () => (hubUp ? { leases: new Map(leases), status: { ...status } } : undefined),
        (seen) => {
          if (op.incarnation !== inc || op.lastListAt !== sentAt) return;
          op.obs.record({ sentAt, receivedAt: local(operatorNode, now), leases: seen.leases });
          op.status = seen.status;
          op.listing = false;
        },
      );
      later(1000, () => {
        if (op.incarnation !== inc || !op.listing || op.lastListAt !== sentAt) return;
        op.obs.failed(); // no answer in time: the run of reads is broken
        op.listing = false;
      });
    }
    for (const r of cfg.regions) {
      if (up(operatorNode, dbNode(r))) op.unreachableSince[r] = undefined;
      else op.unreachableSince[r] ??= t;
    }
    const s = op.status;
    if (!s || op.writing) return;
    if (!s.handover && cfg.operator === "health") {
      const since = op.unreachableSince[s.primary];
      const target = cfg.regions.find((r) => r !== s.primary && !(dbs.get(r) as Database).fenced);
      if (since !== undefined && t - since >= cfg.detectionMs && target) startPromotion(s, target);
      return;
    }
    if (s.handover) continuePromotion(s.handover, t);
  };

  const writeStatus = (expectEpoch: number, expectHandover: boolean, next: AppStatus) => {
    op.writing = true;
    const inc = op.incarnation;
    call(
      operatorNode,
      hubApi,
      () => {
        // A compare-and-swap: the write applies only to the state it was decided on.
        if (!hubUp || status.epoch !== expectEpoch || Boolean(status.handover) !== expectHandover)
          return false;
        status = next;
        return true;
      },
      () => {
        if (op.incarnation === inc) op.status = { ...next };
      },
    );
    later(1000, () => {
      if (op.incarnation === inc) op.writing = false;
    });
  };

  const startPromotion = (s: AppStatus, target: string) => {
    const epoch = s.epoch + 1;
    writeStatus(s.epoch, false, { ...s, epoch, handover: { from: s.primary, to: target, epoch } });
  };

  const continuePromotion = (h: NonNullable<AppStatus["handover"]>, t: number) => {
    const old = dbs.get(h.from) as Database;
    let fenced = false;
    if (up(operatorNode, dbNode(h.from))) {
      // Reachable: the hub fences it itself, and knows the moment it is done.
      old.fenced ||= old.primary;
      if (old.primary && fencedAt[h.from] === undefined) fencedAt[h.from] = now;
      fenced = true;
    } else {
      const latest = op.obs.latest()?.leases.get(h.from) as HubLease | undefined;
      if ((latest?.fencedEpochs[app] ?? 0) >= h.epoch) fenced = true;
      else {
        const unrenewed =
          cfg.mutant === "expiryFromRenewTime"
            ? latest
              ? wall(operatorNode, now) - latest.renewWallMs
              : op.obs.unrenewedForMs(h.from, t)
            : op.obs.unrenewedForMs(h.from, t);
        const verdict = mayPromoteAway({
          oldCluster: h.from,
          members: cfg.regions,
          advertised: latest?.voters,
          unrenewedForMs: unrenewed,
          voting: op.obs.votersWithin(voterWindowMs(cfg.timing), t),
          timing: cfg.timing,
        });
        fenced = verdict.ok || (cfg.mutant === "noMajority" && verdict.reason === "NoMajority");
      }
    }
    if (!fenced) return;
    const target = dbs.get(h.to) as Database;
    if (!up(operatorNode, dbNode(h.to)) || target.fenced) return;
    target.primary = true;
    writeStatus(h.epoch, true, { primary: h.to, epoch: h.epoch });
    promotions.push({ at: now, to: h.to });
  };

  const apply = (f: Fault) => {
    switch (f.kind) {
      case "cut":
        cut.add(f.link);
        return;
      case "heal":
        cut.delete(f.link);
        return;
      case "isolate":
        isolated.add(f.region);
        return;
      case "hubIngress":
        for (const r of cfg.regions) {
          if (f.up) cut.delete(link(agentNode(r), hubApi));
          else cut.add(link(agentNode(r), hubApi));
        }
        return;
      case "isolatePrimary":
        isolated.add(status.primary);
        return;
      case "rejoin":
        isolated.delete(f.region);
        return;
      case "partition":
        side1 = new Set(f.side1);
        return;
      case "healPartition":
        side1 = new Set();
        return;
      case "hubApi":
        hubUp = f.up;
        return;
      case "crashAgent": {
        const a = agents.get(f.region) as AgentState;
        if (!a.alive) return;
        a.alive = false;
        a.incarnation++;
        const inc = a.incarnation;
        later(f.downMs, () => {
          if (a.incarnation === inc) agents.set(f.region, freshAgent(inc + 1));
        });
        return;
      }
      case "crashOperator": {
        if (!op.alive) return;
        const inc = op.incarnation + 1;
        op = { ...freshOperator(inc), alive: false };
        later(f.downMs, () => {
          if (op.incarnation === inc) op = freshOperator(inc + 1);
        });
        return;
      }
      case "promote": {
        const s = op.status;
        const target = dbs.get(f.target);
        if (cfg.operator !== "adversary" || !op.alive || !s || s.handover || op.writing) return;
        if (f.target === s.primary || !target || target.fenced || target.primary) return;
        startPromotion(s, f.target);
        return;
      }
      case "rebuild": {
        const db = dbs.get(f.region) as Database;
        if (db.fenced && status.primary !== f.region && !status.handover) {
          db.fenced = false;
          db.primary = false;
        }
        return;
      }
    }
  };

  const faults = [...cfg.faults].sort((a, b) => a.at - b.at);
  let nextFault = 0;
  for (now = 0; now <= durationMs; now += tickMs) {
    while (nextFault < faults.length && (faults[nextFault] as { at: number }).at <= now) {
      apply((faults[nextFault] as { fault: Fault }).fault);
      nextFault++;
    }
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    while (queue.length > 0 && (queue[0] as { at: number }).at <= now)
      (queue.shift() as { run: () => void }).run();
    for (const [r, a] of agents) if (a.alive) agentTick(r, a);
    if (op.alive) operatorTick();
    steps++;
    const writable = [...dbs].filter(([, d]) => d.primary && !d.fenced).map(([r]) => r);
    if (writable.length > 1) violations.push({ at: now, what: `writable primaries: ${writable.join(", ")}` });
  }
  return { violations, promotions, fencedAt, steps };
}
