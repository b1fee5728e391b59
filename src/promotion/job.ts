// The `job` engine: the database's part of a promotion is the user's own Jobs (docs/job-engine.md).
// The fence Job runs in the old primary's region, the lag and promote Jobs in the target's, each
// with the epoch and the regions in its environment. A Job is named after the app, step and epoch,
// so a restarted operator re-finds the Job it started; its outcome is read from the Job's
// conditions each time, never remembered. A failed Job fails the step for good (StepState.failed),
// with the tail of its logs.
import { setTimeout as delay } from "node:timers/promises";
import type { JobStepTemplate } from "../api/types.generated.ts";
import { ensureJob, type JobOutcome, type JobRun, type JobStep, readOutcome } from "./job/job-run.ts";
import {
  type CatchUpState,
  type DatabaseEndpoint,
  type FenceState,
  type Promoter,
  type PromotionState,
  type ReplicaState,
  RoleUnknown,
} from "./promoter.ts";

export interface JobPromoterOptions {
  /** How long fence() waits for its Job. Default 60 s. */
  fenceWaitMs?: number;
  /** How often a wait re-reads the Job. Default 250 ms. */
  pollMs?: number;
}

/** A job engine step that cannot go on; the message says why. */
export class JobStepError extends Error {}

export class JobPromoter implements Promoter {
  readonly reportsPositions = false;
  readonly #fenceWaitMs: number;
  readonly #pollMs: number;

  constructor(options: JobPromoterOptions = {}) {
    this.#fenceWaitMs = options.fenceWaitMs ?? 60_000;
    this.#pollMs = options.pollMs ?? 250;
  }

  state(db: DatabaseEndpoint): Promise<ReplicaState> {
    return Promise.reject(
      new RoleUnknown(
        `engine job cannot see whether region ${db.region}'s database is a primary or a replica`,
      ),
    );
  }

  lagBytes(): Promise<number> {
    return Promise.reject(new JobStepError("engine job reports no WAL positions"));
  }

  /** The lag Job, when there is one, decides; without it the promote Job must wait for zero lag itself. */
  async caughtUp(db: DatabaseEndpoint, epoch: number): Promise<CatchUpState> {
    const run = runOf(db, "lag", epoch);
    if (!run) return { caughtUp: true, detail: "no lag Job: the promote Job waits for zero lag itself" };
    const outcome = await ensureJob(run);
    return { caughtUp: outcome.state === "succeeded", ...judge(run, outcome) };
  }

  async fence(db: DatabaseEndpoint, epoch: number): Promise<void> {
    await this.#runToEnd(required(db, "fence", epoch), this.#fenceWaitMs);
  }

  async fenceState(db: DatabaseEndpoint, epoch: number): Promise<FenceState> {
    const run = required(db, "fence", epoch);
    const outcome = await readOutcome(run);
    return { fenced: outcome.state === "succeeded", ...judge(run, outcome) };
  }

  async promote(db: DatabaseEndpoint, epoch: number, timeoutSeconds: number): Promise<void> {
    await this.#runToEnd(required(db, "promote", epoch), Math.max(1, timeoutSeconds) * 1000);
  }

  async promotionState(db: DatabaseEndpoint, epoch: number): Promise<PromotionState> {
    const run = required(db, "promote", epoch);
    const outcome = await readOutcome(run);
    return { promoted: outcome.state === "succeeded", ...judge(run, outcome) };
  }

  /** The promote Job exits 0 only once the database takes writes (its contract); that is the evidence. */
  async verifyWrite(db: DatabaseEndpoint, epoch: number): Promise<void> {
    const state = await this.promotionState(db, epoch);
    if (!state.promoted) throw new JobStepError(state.detail);
  }

  async reopen(db: DatabaseEndpoint, epoch: number): Promise<void> {
    throw new JobStepError(
      `engine job has no Job to undo a fence: region ${db.region}'s database stays as the fence Job of epoch ${epoch} left it; unfence it by hand once you are sure nothing was promoted (docs/job-engine.md)`,
    );
  }

  async #runToEnd(run: JobRun, waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const outcome = await ensureJob(run);
      const { detail, failed } = judge(run, outcome);
      if (outcome.state === "succeeded") return;
      if (failed) throw new JobStepError(failed);
      if (Date.now() > deadline) throw new JobStepError(`${detail}; waited ${Math.round(waitMs / 1000)} s`);
      await delay(this.#pollMs);
    }
  }
}

function runOf(db: DatabaseEndpoint, step: JobStep, epoch: number): JobRun | undefined {
  const member = db.member;
  const jobs = member?.jobs;
  if (!member || !jobs) throw new JobStepError(`region ${db.region}: spec.database.job is not set`);
  const template: JobStepTemplate | undefined = jobs.templates[step];
  if (!template) return undefined;
  return {
    kc: member.kc,
    namespace: jobs.namespace,
    app: member.app,
    step,
    epoch,
    region: db.region,
    from: member.move?.from ?? "",
    to: member.move?.to ?? "",
    template,
    ...(member.move?.guard
      ? {
          env: {
            MERIDIAN_MAX_LAG_BYTES: String(member.move.guard.maxLagBytes),
            MERIDIAN_ALLOW_DATA_LOSS: String(member.move.guard.allowDataLoss),
          },
        }
      : {}),
  };
}

function required(db: DatabaseEndpoint, step: "fence" | "promote", epoch: number): JobRun {
  const run = runOf(db, step, epoch);
  if (!run) throw new JobStepError(`spec.database.job.${step} is required`);
  return run;
}

function judge(run: JobRun, outcome: JobOutcome): { detail: string; failed?: string } {
  const what = `${run.step} Job ${run.namespace}/${"name" in outcome ? outcome.name : "(not created)"} in region ${run.region} (epoch ${run.epoch})`;
  switch (outcome.state) {
    case "missing":
      return { detail: `${what} has not been started` };
    case "running":
      return { detail: `${what} is still running` };
    case "succeeded":
      return { detail: `${what} succeeded` };
    case "failed":
      return { detail: `${what} failed`, failed: `${what} failed: ${outcome.why}` };
  }
}
