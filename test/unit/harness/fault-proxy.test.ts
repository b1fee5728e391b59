import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FaultProxy } from "../../harness/fault-proxy.ts";

/** An echo server on loopback that counts the connections it saw. */
async function echoServer(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    accepted++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return { server, port: (server.address() as { port: number }).port, accepted: () => accepted };
}

/** A client connection that collects what it receives and how it ended. */
class Conn {
  readonly sock: Socket;
  data = "";
  ended = false;
  error: string | undefined;
  readonly closed: Promise<void>;
  readonly connected: Promise<void>;

  constructor(port: number) {
    this.sock = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    this.sock.setEncoding("utf8");
    this.sock.on("data", (d: string) => {
      this.data += d;
    });
    this.sock.on("end", () => {
      this.ended = true;
    });
    this.sock.on("error", (e: NodeJS.ErrnoException) => {
      this.error = e.code ?? e.message;
    });
    this.connected = new Promise((r) => this.sock.once("connect", () => r()));
    this.closed = new Promise((r) => this.sock.once("close", () => r()));
  }

  /** Resolves once `text` has arrived; rejects at the deadline. */
  waitFor(text: string, deadlineMs = 2000): Promise<void> {
    return until(() => this.data.includes(text), deadlineMs, `"${text}" (got "${this.data}")`);
  }

  /** Resolves once the connection is closed; rejects at the deadline. */
  async waitClosed(deadlineMs = 2000): Promise<void> {
    await withDeadline(this.closed, deadlineMs, "the connection to close");
  }
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`deadline: no ${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks `cond` on every turn of the event loop (no fixed sleeps) until it holds or the deadline passes. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`deadline: no ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Asserts that `cond` stays false for `ms` (a hang is the absence of an answer within a deadline). */
async function staysFalse(cond: () => boolean, ms: number): Promise<void> {
  await expect(until(cond, ms, "change")).rejects.toThrow(/deadline/);
}

describe("FaultProxy", () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let proxy: FaultProxy;
  const conns: Conn[] = [];
  const open = async (): Promise<Conn> => {
    const c = new Conn(proxy.port);
    conns.push(c);
    return c;
  };

  beforeEach(async () => {
    echo = await echoServer();
    proxy = await FaultProxy.start(`127.0.0.1:${echo.port}`, { name: "test" });
  });

  afterEach(async () => {
    for (const c of conns.splice(0)) c.sock.destroy();
    await proxy.close();
    await new Promise((r) => echo.server.close(r));
  });

  it("passes bytes both ways and counts them", async () => {
    expect(proxy.mode).toEqual({ kind: "pass" });
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    const c = await open();
    c.sock.write("hello");
    await c.waitFor("hello");
    c.sock.write(" world");
    await c.waitFor("hello world");
    expect(proxy.stats()).toMatchObject({ connections: 1, open: 1, bytesToTarget: 11, bytesFromTarget: 11 });
    expect(echo.accepted()).toBe(1);
  });

  it("propagates a half-close and forgets a finished connection", async () => {
    const c = await open();
    c.sock.end("bye");
    await c.waitFor("bye");
    await until(() => c.ended, 2000, "end");
    await until(() => proxy.stats().open === 0, 2000, "open = 0");
  });

  it("cut resets open connections and new ones; pass lets new ones through at once", async () => {
    const before = await open();
    before.sock.write("a");
    await before.waitFor("a");

    proxy.cut();
    await before.waitClosed();
    expect(before.error).toBe("ECONNRESET");
    expect(proxy.stats().open).toBe(0);

    const during = await open();
    await during.waitClosed();
    expect(during.data).toBe("");
    expect(echo.accepted()).toBe(1); // the target never saw the connection made during the cut

    proxy.pass();
    const after = await open();
    after.sock.write("back");
    await after.waitFor("back");
    expect(proxy.stats()).toMatchObject({ connections: 3, reset: 2, open: 1 });
  });

  it("blackhole accepts new connections but never answers; pass lets them through", async () => {
    proxy.blackhole();
    const c = await open();
    await withDeadline(c.connected, 2000, "connect");
    c.sock.write("ping");
    await staysFalse(() => c.data !== "" || c.error !== undefined || c.ended, 300);
    expect(echo.accepted()).toBe(0); // nothing reached the target
    expect(proxy.stats()).toMatchObject({ connections: 1, open: 1, bytesToTarget: 0, bytesFromTarget: 0 });

    proxy.pass();
    await c.waitFor("ping"); // held, like retransmitted packets after a partition heals
    const fresh = await open();
    fresh.sock.write("fresh");
    await fresh.waitFor("fresh");
  });

  it("blackhole stops forwarding on open connections too, both ways", async () => {
    const c = await open();
    c.sock.write("one");
    await c.waitFor("one");
    const stats = proxy.stats();

    proxy.blackhole();
    c.sock.write("two");
    await staysFalse(() => c.data.includes("two") || c.error !== undefined, 300);
    expect(proxy.stats().bytesToTarget).toBe(stats.bytesToTarget);
    expect(proxy.stats().bytesFromTarget).toBe(stats.bytesFromTarget);

    proxy.pass();
    await c.waitFor("onetwo");
  });

  it("cut during a blackhole resets the held connections", async () => {
    const c = await open();
    c.sock.write("x");
    await c.waitFor("x");
    proxy.blackhole();
    proxy.cut();
    await c.waitClosed();
    expect(c.error).toBe("ECONNRESET");
  });

  it.each([
    ["pass", () => proxy.pass()],
    ["delay(20)", () => proxy.delay(20)],
  ])("keeps large transfers intact under backpressure (%s)", async (_, setMode) => {
    setMode();
    const c = await open();
    const block = "0123456789abcdef".repeat(64 * 1024); // 1 MiB
    let expected = "";
    for (let i = 0; i < 4; i++) {
      c.sock.write(`${i}${block}`);
      expected += `${i}${block}`;
    }
    await until(() => c.data.length >= expected.length, 10_000, "4 MiB back");
    expect(c.data === expected).toBe(true);
    expect(proxy.stats().bytesFromTarget).toBe(expected.length);
  });

  it("delay forwards each chunk after the delay, both ways, in order", async () => {
    const c = await open();
    c.sock.write("warm");
    await c.waitFor("warm");

    proxy.delay(150);
    expect(proxy.mode).toEqual({ kind: "delay", ms: 150 });
    const started = performance.now();
    c.sock.write("slow");
    await c.waitFor("warmslow");
    const roundTrip = performance.now() - started;
    expect(roundTrip).toBeGreaterThanOrEqual(290); // 150 ms each way
    expect(roundTrip).toBeLessThan(2000);

    let expected = "warmslow";
    for (let i = 0; i < 50; i++) {
      c.sock.write(`<${i}>`);
      expected += `<${i}>`;
    }
    await c.waitFor(expected);
    expect(c.data).toBe(expected);
  });

  it("a new connection in delay mode works, only slower", async () => {
    proxy.delay(100);
    const c = await open();
    const started = performance.now();
    c.sock.write("d");
    await c.waitFor("d");
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("switching from delay to pass releases what waits at once, in order", async () => {
    const c = await open();
    proxy.delay(60_000);
    c.sock.write("held1");
    c.sock.write("held2");
    await staysFalse(() => proxy.stats().bytesToTarget > 0 || c.data !== "", 100);
    proxy.pass();
    c.sock.write("now");
    await c.waitFor("held1held2now", 1000);
  });

  it("resets the client at once when the target refuses", async () => {
    const dead = await echoServer();
    await new Promise((r) => dead.server.close(r));
    const refused = await FaultProxy.start({ host: "127.0.0.1", port: dead.port });
    try {
      const c = new Conn(refused.port);
      conns.push(c);
      await c.waitClosed();
      expect(c.data).toBe("");
    } finally {
      await refused.close();
    }
  });

  it("retargets new connections; close resets open ones", async () => {
    const other = await echoServer();
    try {
      const c = await open();
      c.sock.write("1");
      await c.waitFor("1");
      proxy.retarget(`http://127.0.0.1:${other.port}`);
      expect(proxy.target).toEqual({ host: "127.0.0.1", port: other.port });
      const d = await open();
      d.sock.write("2");
      await d.waitFor("2");
      expect(other.accepted()).toBe(1);
      expect(echo.accepted()).toBe(1);
      await proxy.close();
      await c.waitClosed();
      await d.waitClosed();
      proxy = await FaultProxy.start(`127.0.0.1:${echo.port}`); // for afterEach
    } finally {
      await new Promise((r) => other.server.close(r));
    }
  });

  it("rewrites URLs to go through it and rejects a bad delay", () => {
    expect(proxy.url("https://10.1.2.3:6443")).toBe(`https://127.0.0.1:${proxy.port}`);
    expect(proxy.url("postgres://app:pw@db:5432/app?sslmode=disable")).toBe(
      `postgres://app:pw@127.0.0.1:${proxy.port}/app?sslmode=disable`,
    );
    expect(() => proxy.delay(-1)).toThrow(/delay/);
  });
});
