import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { sharedTestbed, useNamespace } from "../harness/context.ts";
import { pollUntil } from "../harness/poll.ts";
import { kubeConfigFor } from "../harness/testbed.ts";

const { bed, region } = sharedTestbed();
const hub = region("us-east");
const namespace = useNamespace([hub], "le");
const [leaseSeconds, renewSeconds, retrySeconds] = [4, 3, 0.5];

interface Elector {
  identity: string;
  proc: ChildProcess;
  events: { event: string; at: number }[];
}

const running: Elector[] = [];
afterEach(() => {
  for (const e of running.splice(0)) e.proc.kill("SIGKILL");
});

function startElector(identity: string): Elector {
  const dir = mkdtempSync(join(tmpdir(), "meridian-le-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, hub.kubeconfig);
  const script = resolve(import.meta.dirname, "../harness/elector-process.ts");
  const args = [script, kubeconfig, namespace(), identity, leaseSeconds, renewSeconds, retrySeconds].map(
    String,
  );
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const elector: Elector = { identity, proc, events: [] };
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    elector.events.push(JSON.parse(line));
  });
  running.push(elector);
  return elector;
}

/** A process we killed leads nothing, whatever it last said. */
const isLeading = (e: Elector) => !e.proc.killed && e.events.at(-1)?.event === "started";
const startedAt = (e: Elector) => e.events.findLast((x) => x.event === "started")?.at ?? 0;
const leaseApi = () => kubeConfigFor(hub).makeApiClient(CoordinationV1Api);

async function oneLeader(a: Elector, b: Elector): Promise<[Elector, Elector]> {
  await pollUntil("a leader", 20_000, () => isLeading(a) || isLeading(b));
  expect(isLeading(a) && isLeading(b)).toBe(false);
  return isLeading(a) ? [a, b] : [b, a];
}

describe("leader election on a real Lease", () => {
  it("elects one leader, and a SIGKILLed leader's Lease passes on only after it expires", async () => {
    const [leader, standby] = await oneLeader(startElector("a"), startElector("b"));
    const lease = await leaseApi().readNamespacedLease({ name: "meridian-leader", namespace: namespace() });
    expect(lease.spec?.holderIdentity).toBe(leader.identity);

    // Both must never lead at once while they run side by side.
    const watch = setInterval(() => expect(isLeading(leader) && isLeading(standby)).toBe(false), 50);
    try {
      const killedAt = Date.now();
      leader.proc.kill("SIGKILL");
      await pollUntil("standby takes over", (leaseSeconds + 3) * 1000, () => isLeading(standby));
      const handover = (startedAt(standby) - killedAt) / 1000;
      console.log(`[leader-election] handover after SIGKILL took ${handover.toFixed(2)} s`);
      // Not before the dead leader's Lease could have expired (its last renewal was <= retry ago) ...
      expect(handover).toBeGreaterThanOrEqual(leaseSeconds - retrySeconds);
      // ... and within the lease duration plus one retry period of the standby's own observation.
      expect(handover).toBeLessThanOrEqual(leaseSeconds + 2 * retrySeconds + 1);
    } finally {
      clearInterval(watch);
    }
    const after = await leaseApi().readNamespacedLease({ name: "meridian-leader", namespace: namespace() });
    expect(after.spec?.holderIdentity).toBe(standby.identity);
    expect(after.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
  });

  it("a leader stopped with SIGTERM releases the Lease so the standby takes over at once", async () => {
    const [leader, standby] = await oneLeader(startElector("c"), startElector("d"));
    const stoppedAt = Date.now();
    leader.proc.kill("SIGTERM");
    await pollUntil("leader exits", 10_000, () => leader.events.some((e) => e.event === "exited"));
    await pollUntil("standby takes over", leaseSeconds * 1000, () => isLeading(standby));
    expect(startedAt(standby) - stoppedAt).toBeLessThan(leaseSeconds * 1000);
  });

  it("a leader that cannot reach its API server stops leading within the renew deadline", async () => {
    const [leader] = await oneLeader(startElector("e"), startElector("f"));
    await bed.stop(hub.name);
    try {
      const cutAt = Date.now();
      await pollUntil("leader steps down", (renewSeconds + 2) * 1000, () => !isLeading(leader));
      const stepDown = leader.events.at(-1) as { event: string; at: number };
      expect(stepDown.event).toBe("stopped");
      expect(stepDown.at - cutAt).toBeLessThanOrEqual(renewSeconds * 1000 + 100);
    } finally {
      await bed.start(hub.name);
    }
  });
});
