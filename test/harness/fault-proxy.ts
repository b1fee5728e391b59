// A TCP fault proxy for one link between two components (operator↔member API server, agent↔hub
// API server, agent↔agent, hub↔database, hub↔BIND). Tests switch it between modes at any time:
//   pass       forward both ways;
//   cut        the link is down: every open connection is reset, new ones are reset on accept;
//   blackhole  a dropped-packet partition: connections are accepted but nothing is forwarded or
//              answered, on open connections too (reads stop, so senders block as on a real
//              partition); the peer sees a hang. Back to pass, held bytes flow on in order and
//              connections accepted meanwhile reach the target, as TCP retransmission would;
//   delay(ms)  every chunk is forwarded ms after it arrived, both ways, order kept.
// Vitest-free on purpose: bench/ and hack/ use the harness too.
import { connect, createServer, type Server, type Socket } from "node:net";

export type FaultMode =
  | { kind: "pass" }
  | { kind: "cut" }
  | { kind: "blackhole" }
  | { kind: "delay"; ms: number };

export interface FaultProxyTarget {
  host: string;
  port: number;
}

/** Counters for assertions; `bytesToTarget`/`bytesFromTarget` count bytes actually forwarded. */
export interface FaultProxyStats {
  /** Connections accepted, in any mode. */
  connections: number;
  /** Connections open now (client side). */
  open: number;
  /** Connections reset because the link was cut (open ones and new ones). */
  reset: number;
  bytesToTarget: number;
  bytesFromTarget: number;
}

export interface FaultProxyOptions {
  /** For messages; e.g. "agent us-east → hub". */
  name?: string;
  /** Listening port; 0 (the default) lets the system choose. */
  port?: number;
}

/** Above this many bytes queued in one direction, reading from its source pauses. */
const maxQueuedBytes = 1 << 20;

/** What a proxy's connections share with it. */
interface Shared {
  mode: FaultMode;
  target: FaultProxyTarget;
  counters: Omit<FaultProxyStats, "open">;
  links: Set<Link>;
}

type Item = { chunk: Buffer; dueAt: number } | { end: "fin" | "reset"; dueAt: number };

/** One direction of one connection: what is read from `from` is written to `to`, in order. */
interface Direction {
  from: Socket;
  /** Unset until the upstream connection exists. */
  to: Socket | undefined;
  queue: Item[];
  queuedBytes: number;
  /** An end (fin or reset) has been queued: nothing more comes from `from`. */
  ended: boolean;
  timer: NodeJS.Timeout | undefined;
  /** A 'drain' listener on `to` is pending. */
  awaitingDrain: boolean;
  count(bytes: number): void;
}

/** One client connection and, once the mode lets it through, its connection to the target. */
class Link {
  readonly proxy: Shared;
  readonly client: Socket;
  upstream: Socket | undefined;
  /** client → target; exists from the start so bytes sent during a blackhole are held. */
  readonly up: Direction;
  /** target → client; exists once the upstream connection does. */
  down: Direction | undefined;
  closed = false;

  constructor(proxy: Shared, client: Socket) {
    this.proxy = proxy;
    this.client = client;
    this.up = this.direction(client, undefined, (n) => {
      proxy.counters.bytesToTarget += n;
    });
  }

  private direction(from: Socket, to: Socket | undefined, count: (n: number) => void): Direction {
    const dir: Direction = {
      from,
      to,
      queue: [],
      queuedBytes: 0,
      ended: false,
      timer: undefined,
      awaitingDrain: false,
      count,
    };
    const enqueueEnd = (end: "fin" | "reset") => {
      if (dir.ended) return;
      dir.ended = true;
      dir.queue.push({ end, dueAt: this.dueAt() });
      this.pump(dir);
    };
    from.on("data", (chunk: Buffer) => {
      dir.queue.push({ chunk, dueAt: this.dueAt() });
      dir.queuedBytes += chunk.length;
      this.pump(dir);
    });
    // A close travels like data: in order, delayed by a delay and held by a blackhole.
    from.on("end", () => enqueueEnd("fin"));
    from.on("error", () => enqueueEnd("reset"));
    from.on("close", (hadError) => enqueueEnd(hadError ? "reset" : "fin"));
    this.applyFlow(dir);
    return dir;
  }

  /** Connects to the target unless the link is held; called on accept and on every mode change. */
  ensureUpstream(): void {
    if (this.upstream || this.closed || !forwards(this.proxy.mode)) return;
    const { host, port } = this.proxy.target;
    const upstream = connect({ host, port, allowHalfOpen: true });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    this.up.to = upstream;
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      this.pump(this.up);
    });
    // A target that refuses (or is gone) resets the client at once, as a direct connection would.
    upstream.once("error", () => {
      if (!connected) this.destroy(true);
    });
    this.down = this.direction(upstream, this.client, (n) => {
      this.proxy.counters.bytesFromTarget += n;
    });
    this.pump(this.up);
  }

  private dueAt(): number {
    const mode = this.proxy.mode;
    return mode.kind === "delay" ? performance.now() + mode.ms : 0;
  }

  private directions(): Direction[] {
    return this.down ? [this.up, this.down] : [this.up];
  }

  /** Re-evaluates everything after a mode change. */
  onModeChange(): void {
    const mode = this.proxy.mode;
    if (mode.kind === "cut") {
      this.destroy(true);
      return;
    }
    if (mode.kind === "pass") {
      // The delay is over: what waited goes now, still in order.
      for (const dir of this.directions()) for (const item of dir.queue) item.dueAt = 0;
    }
    this.ensureUpstream();
    for (const dir of this.directions()) this.pump(dir);
  }

  /** Reads only while forwarding and while the queue is short. */
  private applyFlow(dir: Direction): void {
    if (this.closed || dir.from.destroyed) return;
    if (!forwards(this.proxy.mode) || dir.queuedBytes > maxQueuedBytes) dir.from.pause();
    else dir.from.resume();
  }

  private pump(dir: Direction): void {
    if (this.closed) return;
    if (dir.timer) {
      clearTimeout(dir.timer);
      dir.timer = undefined;
    }
    const to = dir.to;
    if (forwards(this.proxy.mode) && to && !to.connecting) {
      const now = performance.now();
      while (dir.queue.length > 0 && !to.writableNeedDrain) {
        const head = dir.queue[0] as Item;
        if (head.dueAt > now) {
          dir.timer = setTimeout(() => this.pump(dir), Math.max(1, Math.ceil(head.dueAt - now)));
          break;
        }
        dir.queue.shift();
        if ("chunk" in head) {
          dir.queuedBytes -= head.chunk.length;
          if (!to.destroyed) to.write(head.chunk);
          dir.count(head.chunk.length);
        } else if (head.end === "reset") {
          this.destroy(true);
          return;
        } else {
          if (!to.destroyed) to.end();
          if (this.directions().every((d) => d.ended && d.queue.length === 0)) this.destroy(false);
          return;
        }
      }
      if (to.writableNeedDrain && !dir.awaitingDrain) {
        dir.awaitingDrain = true;
        to.once("drain", () => {
          dir.awaitingDrain = false;
          this.pump(dir);
        });
      }
    }
    this.applyFlow(dir);
  }

  destroy(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const dir of this.directions()) if (dir.timer) clearTimeout(dir.timer);
    for (const s of [this.client, this.upstream]) {
      if (!s || s.destroyed) continue;
      if (reset) resetSocket(s);
      else s.destroySoon();
    }
    this.proxy.links.delete(this);
  }
}

function forwards(mode: FaultMode): boolean {
  return mode.kind === "pass" || mode.kind === "delay";
}

function resetSocket(s: Socket): void {
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}

function parseTarget(target: string | FaultProxyTarget): FaultProxyTarget {
  if (typeof target !== "string") return target;
  if (/^[a-z]+:\/\//i.test(target)) {
    const url = new URL(target);
    const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port };
  }
  const at = target.lastIndexOf(":");
  if (at < 0) throw new Error(`fault proxy target must be host:port or a URL, got "${target}"`);
  return { host: target.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(target.slice(at + 1)) };
}

/**
 * One link's fault proxy: listens on 127.0.0.1 and forwards to `target`. Start with
 * `FaultProxy.start(target)`; switch with pass()/cut()/blackhole()/delay(ms) at any time.
 */
export class FaultProxy {
  readonly name: string;
  readonly host = "127.0.0.1";
  readonly port: number;
  readonly #shared: Shared;
  readonly #server: Server;

  private constructor(server: Server, port: number, target: FaultProxyTarget, name: string) {
    this.#server = server;
    this.port = port;
    this.name = name;
    this.#shared = {
      mode: { kind: "pass" },
      target,
      counters: { connections: 0, reset: 0, bytesToTarget: 0, bytesFromTarget: 0 },
      links: new Set(),
    };
  }

  /** `target`: "host:port", a URL (http, https, postgres, ...) or { host, port }. */
  static async start(
    target: string | FaultProxyTarget,
    options: FaultProxyOptions = {},
  ): Promise<FaultProxy> {
    const to = parseTarget(target);
    let proxy: FaultProxy | undefined;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
      proxy?.accept(client),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as { port: number };
    proxy = new FaultProxy(server, port, to, options.name ?? `${to.host}:${to.port}`);
    return proxy;
  }

  /** "127.0.0.1:<port>" */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** `url` with its host and port replaced by the proxy's: https://10.0.0.1:6443/x → https://127.0.0.1:<port>/x */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = this.host;
    u.port = String(this.port);
    return u.toString().replace(/\/$/, url.endsWith("/") ? "/" : "");
  }

  get mode(): FaultMode {
    return this.#shared.mode;
  }

  get target(): FaultProxyTarget {
    return this.#shared.target;
  }

  /** A snapshot of the counters. */
  stats(): FaultProxyStats {
    return { ...this.#shared.counters, open: this.#shared.links.size };
  }

  setMode(mode: FaultMode): void {
    if (mode.kind === "delay" && !(mode.ms >= 0)) throw new Error(`delay must be >= 0 ms, got ${mode.ms}`);
    this.#shared.mode = mode;
    if (mode.kind === "cut") this.#shared.counters.reset += this.#shared.links.size;
    for (const link of [...this.#shared.links]) link.onModeChange();
  }

  pass(): void {
    this.setMode({ kind: "pass" });
  }

  cut(): void {
    this.setMode({ kind: "cut" });
  }

  blackhole(): void {
    this.setMode({ kind: "blackhole" });
  }

  delay(ms: number): void {
    this.setMode({ kind: "delay", ms });
  }

  /** New connections go to `target`; open ones stay where they are. */
  retarget(target: string | FaultProxyTarget): void {
    this.#shared.target = parseTarget(target);
  }

  /** Stops listening and resets every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const link of [...this.#shared.links]) link.destroy(true);
    await closed;
  }

  private accept(client: Socket): void {
    const shared = this.#shared;
    shared.counters.connections++;
    client.on("error", () => undefined);
    if (shared.mode.kind === "cut") {
      shared.counters.reset++;
      resetSocket(client);
      return;
    }
    client.setNoDelay(true);
    const link = new Link(shared, client);
    shared.links.add(link);
    link.ensureUpstream();
  }
}
