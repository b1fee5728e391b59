// Creating a ReplicaPromotion for a person (switchover, drill) and following one live until it
// ends (also after approve). Exit codes: 0 Succeeded, 1 Failed or Aborted, 3 still running when
// the wait ended (--timeout, Ctrl-C): the promotion itself goes on either way.
import { userInfo } from "node:os";
import { apiVersion, group, version } from "../../api/group.ts";
import type { PromotionType, RegionalApp, ReplicaPromotion } from "../../api/types.generated.ts";
import { type CliIO, pause } from "../context.ts";
import { formatDnsAnswer, readDnsAnswer } from "../dns-answer.ts";
import { apiError, CliError, getApp, getPromotion, type Hub, listPromotions, plural } from "../kube.ts";
import { paint } from "../style.ts";
import { isFinished, outcomeLine, progressLines, startProgress } from "./promotion-progress.ts";

export const exitStillRunning = 3;
const pollMs = 200;

/** Annotation naming who asked for a promotion, for the audit trail. */
export const requestedByAnnotation = "meridian.dev/requested-by";

/** Refuses a target the app cannot be promoted to, naming the app and the regions it has. */
export function checkTarget(app: RegionalApp, target: string): void {
  const id = `${app.metadata?.namespace}/${app.metadata?.name}`;
  const names = app.spec.regions.map((r) => r.name);
  if (!names.includes(target)) {
    throw new CliError(`RegionalApp ${id} has no region ${target}: use one of ${names.join(", ")}`, 2);
  }
  const primary = app.status?.currentPrimary ?? app.spec.primaryRegion;
  if (target === primary) {
    throw new CliError(`${target} is already the primary of RegionalApp ${id}: nothing to switch over`);
  }
}

/** Refuses while another promotion of the app runs: the operator runs one at a time. */
export async function checkNoneRunning(hub: Hub, app: RegionalApp): Promise<void> {
  const name = app.metadata?.name;
  const running = (await listPromotions(hub, false)).find(
    (p) => p.spec.appRef.name === name && !isFinished(p),
  );
  const handover = app.status?.handover;
  if (running || handover) {
    const which = running?.metadata?.name ?? handover?.promotionRef;
    throw new CliError(
      `ReplicaPromotion ${which} is still running for RegionalApp ${app.metadata?.namespace}/${name}: one promotion at a time; follow it with \`meridian promotions ${name} -n ${app.metadata?.namespace}\` and try again when it has ended`,
    );
  }
}

export async function createPromotion(
  hub: Hub,
  app: RegionalApp,
  spec: { type: PromotionType; targetRegion: string; reason: string; dryRun: boolean },
): Promise<ReplicaPromotion> {
  const namespace = app.metadata?.namespace ?? hub.namespace;
  const user = hub.kc.getCurrentUser()?.name;
  const body = {
    apiVersion,
    kind: "ReplicaPromotion",
    metadata: {
      generateName: `${app.metadata?.name}-${spec.type.toLowerCase()}-`,
      namespace,
      annotations: {
        [requestedByAnnotation]: `${userInfo().username} with the meridian CLI${user ? ` (kubeconfig user ${user})` : ""}`,
      },
    },
    spec: {
      appRef: { name: app.metadata?.name },
      targetRegion: spec.targetRegion,
      type: spec.type,
      reason: spec.reason,
      dryRun: spec.dryRun,
      // The person running the command is the approval a Manual policy asks for.
      approved: true,
    },
  };
  try {
    return (await hub.custom.createNamespacedCustomObject({
      group,
      version,
      plural: plural.promotion,
      namespace,
      body,
    })) as ReplicaPromotion;
  } catch (err) {
    throw apiError(
      err,
      `creating a ReplicaPromotion for RegionalApp ${namespace}/${app.metadata?.name}`,
      hub,
    );
  }
}

/**
 * Prints the promotion's progress until it ends, `timeoutMs` passes or the person presses Ctrl-C,
 * then the DNS answer and the outcome. Returns the exit code.
 */
export async function follow(
  hub: Hub,
  io: CliIO,
  created: ReplicaPromotion,
  timeoutMs: number,
): Promise<number> {
  const name = created.metadata?.name ?? "";
  const namespace = created.metadata?.namespace ?? hub.namespace;
  const deadline = io.now() + timeoutMs;
  let seen = startProgress();
  let p = created;
  while (true) {
    const step = progressLines(p, seen, io.color);
    for (const line of step.lines) io.out(line);
    seen = step.seen;
    if (isFinished(p) || io.signal.aborted || io.now() >= deadline) break;
    await pause(pollMs, io.signal);
    try {
      p = await getPromotion(hub, name, namespace);
    } catch (err) {
      // A blip of the hub API server must not end the follow: the promotion runs in the operator.
      io.err(`  ${(err as Error).message} (retrying)`);
    }
  }
  if (!isFinished(p)) {
    const why = io.signal.aborted
      ? "interrupted"
      : `still ${p.status?.phase ?? "Pending"} after the --timeout`;
    io.err(
      `${why}: ReplicaPromotion ${namespace}/${name} goes on in the operator; follow it with \`meridian promotions ${p.spec.appRef.name} -n ${namespace}\``,
    );
    return exitStillRunning;
  }
  const app = await getApp(hub, p.spec.appRef.name, namespace).catch(() => undefined);
  if (app) io.out(`DNS now:    ${formatDnsAnswer(await readDnsAnswer(hub, app), app, io.color)}`);
  io.out(outcomeLine(p, io.color));
  if (
    p.status?.phase === "Succeeded" &&
    app &&
    !p.spec.dryRun &&
    app.spec.primaryRegion !== p.spec.targetRegion
  ) {
    io.out(
      paint(
        io.color,
        "dim",
        `spec.primaryRegion still prefers ${app.spec.primaryRegion}; Meridian keeps ${p.spec.targetRegion} as primary (failback is Manual). To make it the preferred region, set spec.primaryRegion: ${p.spec.targetRegion} in Git.`,
      ),
    );
  }
  return p.status?.phase === "Succeeded" ? 0 : 1;
}

/** The common run of switchover and drill: check, show DNS, create, follow. */
export async function promoteAndFollow(
  hub: Hub,
  io: CliIO,
  appName: string,
  spec: { type: PromotionType; targetRegion: string; reason: string; dryRun: boolean },
  wait: { follow: boolean; timeoutMs: number },
): Promise<number> {
  const app = await getApp(hub, appName);
  checkTarget(app, spec.targetRegion);
  await checkNoneRunning(hub, app);
  const target = app.status?.regions?.find((r) => r.name === spec.targetRegion);
  if (target?.healthy === false) {
    io.err(
      paint(
        io.color,
        "warn",
        `warning: ${spec.targetRegion} is unhealthy (${target.message ?? "no detail"}); the operator decides whether the promotion can run`,
      ),
    );
  }
  const from = app.status?.currentPrimary ?? app.spec.primaryRegion;
  io.out(`DNS before: ${formatDnsAnswer(await readDnsAnswer(hub, app), app, io.color)}`);
  const created = await createPromotion(hub, app, spec);
  io.out(
    `${spec.type} of ${app.metadata?.namespace}/${appName}: ${from} → ${spec.targetRegion}${spec.dryRun ? " (dry run)" : ""}, ReplicaPromotion ${created.metadata?.name}`,
  );
  if (!wait.follow) return 0;
  return follow(hub, io, created, wait.timeoutMs);
}
