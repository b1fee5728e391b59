import { describe, expect, it } from "vitest";
import { type FenceFacts, judgeFence } from "../../../src/promotion/postgresql/fence-state.ts";
import { judgePromotion, type PromotionFacts } from "../../../src/promotion/postgresql/promotion-state.ts";

// The pure halves of fenceState and promotionState: every part must hold, and the detail names each
// missing one. The integration tests (postgresql-step-checks) read the facts from real servers.

const fenced: FenceFacts = {
  database: "checkout",
  acceptsConnections: false,
  sessions: [],
  record: { epoch: 3, action: "fenced", timeline: 1 },
  self: { role: "meridian", superuser: true, signalBackend: true },
};

describe("judgeFence", () => {
  it("is fenced only with connections closed, no session left, and the fence recorded at the epoch or later", () => {
    expect(judgeFence(fenced, 3).fenced).toBe(true);
    expect(judgeFence(fenced, 2).fenced).toBe(true);
    expect(judgeFence(fenced, 4).fenced).toBe(false);
    expect(judgeFence({ ...fenced, acceptsConnections: true }, 3).fenced).toBe(false);
    expect(judgeFence({ ...fenced, sessions: [{ pid: 1, role: "app", superuser: false }] }, 3).fenced).toBe(
      false,
    );
    expect(judgeFence({ ...fenced, record: undefined }, 0).fenced).toBe(false);
    expect(judgeFence({ ...fenced, record: { epoch: 3, action: "promoted", timeline: 2 } }, 3).fenced).toBe(
      false,
    );
  });

  it("names every missing part at once", () => {
    const { detail } = judgeFence(
      {
        ...fenced,
        acceptsConnections: true,
        sessions: [
          { pid: 123, role: "app", superuser: false },
          { pid: 456, role: "app", superuser: false },
        ],
        record: undefined,
      },
      3,
    );
    expect(detail).toBe(
      "not fenced at epoch 3: checkout still accepts connections (ALTER DATABASE ... ALLOW_CONNECTIONS false has not run, or someone reopened it); " +
        "2 sessions of checkout still open (pids 123 as app, 456 as app): pg_terminate_backend has not ended them (a fence interrupted before it finished, or sessions still exiting); fence again; " +
        "no fence of checkout is recorded in public.meridian_epoch of database postgres",
    );
  });

  it("says which privilege kept the sessions open", () => {
    const narrow = { role: "fencer", superuser: false, signalBackend: false };
    const app = { pid: 7, role: "app", superuser: false };
    expect(judgeFence({ ...fenced, self: narrow, sessions: [app] }, 3).detail).toMatch(
      /GRANT pg_signal_backend TO fencer, then fence again$/,
    );
    const root = { pid: 8, role: "postgres", superuser: true };
    expect(
      judgeFence({ ...fenced, self: { ...narrow, signalBackend: true }, sessions: [root] }, 3).detail,
    ).toMatch(/pids 8 as postgres \(superuser\).*cannot end a superuser's session/);
  });
});

const promoted: PromotionFacts = {
  database: "checkout",
  inRecovery: false,
  timeline: 2,
  acceptsConnections: true,
  record: { epoch: 3, action: "promoted", timeline: 2 },
};

describe("judgePromotion", () => {
  it("is promoted only out of recovery, recorded at the epoch or later on the current timeline, and open", () => {
    expect(judgePromotion(promoted, 3).promoted).toBe(true);
    expect(judgePromotion(promoted, 2).promoted).toBe(true);
    expect(judgePromotion(promoted, 4).promoted).toBe(false);
    expect(judgePromotion({ ...promoted, inRecovery: true, timeline: undefined }, 3).promoted).toBe(false);
    expect(judgePromotion({ ...promoted, acceptsConnections: false }, 3).promoted).toBe(false);
    expect(judgePromotion({ ...promoted, record: undefined }, 0).promoted).toBe(false);
    // A record that replicated from the primary before: this server was promoted since, unrecorded.
    expect(judgePromotion({ ...promoted, timeline: 3 }, 3).detail).toMatch(
      /from timeline 2.*writes timeline 3/,
    );
  });

  it("tells the fenced old primary from a replica whose promotion was interrupted", () => {
    const fence = { epoch: 3, action: "fenced" as const, timeline: 1 };
    const oldPrimary = { ...promoted, timeline: 1, acceptsConnections: false, record: fence };
    expect(judgePromotion(oldPrimary, 3)).toEqual({
      promoted: false,
      detail:
        "not promoted at epoch 3: this is the primary Meridian fenced at epoch 3 (the fence is recorded on the timeline it still writes, 1), not a promoted replica; it must be rebuilt as a replica before it serves again",
    });
    const halfDone = { ...promoted, acceptsConnections: false, record: fence };
    expect(judgePromotion(halfDone, 3).detail).toMatch(
      /still says fenced at epoch 3 on timeline 1.*interrupted.*checkout still refuses connections.*call promote\(\) to finish$/,
    );
  });
});
