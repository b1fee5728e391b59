// Getting one DNS message to a server and one reply back: over UDP with retransmission (a lost
// datagram costs a retransmit interval, not the whole timeout), or over TCP with the 2-byte
// length prefix of RFC 1035 section 4.2.2.
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP, Socket } from "node:net";

export interface ServerAddress {
  host: string;
  port: number;
}

/** Why a server could not be talked to. */
export class TransportError extends Error {
  readonly kind: "timeout" | "unreachable";
  constructor(kind: "timeout" | "unreachable", message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Parses "host:port" or "[ipv6]:port", the form of spec.dns.provider.rfc2136.server. */
export function parseServer(text: string): ServerAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) {
    throw new Error(`server ${JSON.stringify(text)} is not host:port or [ipv6]:port, e.g. 192.0.2.53:53`);
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

export const describeServer = (s: ServerAddress) =>
  isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;

async function resolve(server: ServerAddress): Promise<{ address: string; family: 4 | 6 }> {
  const family = isIP(server.host);
  if (family === 4 || family === 6) return { address: server.host, family };
  try {
    const found = await lookup(server.host);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (err) {
    throw new TransportError(
      "unreachable",
      `cannot resolve DNS server name ${server.host}: ${(err as Error).message}`,
    );
  }
}

export interface UdpOptions {
  timeoutMs: number;
  retransmitMs: number;
  /** Whether a datagram is the reply we wait for (right ID, a response); others are ignored. */
  accept(reply: Uint8Array): boolean;
}

/** Sends over UDP, resending every `retransmitMs` until an accepted reply arrives or `timeoutMs` passes. */
export async function exchangeUdp(
  server: ServerAddress,
  request: Uint8Array,
  opts: UdpOptions,
): Promise<Uint8Array> {
  const { address, family } = await resolve(server);
  const socket = createSocket(family === 6 ? "udp6" : "udp4");
  try {
    return await new Promise<Uint8Array>((done, fail) => {
      const finish = (outcome: () => void) => {
        clearInterval(resend);
        clearTimeout(deadline);
        socket.removeAllListeners("message");
        outcome();
      };
      const send = () =>
        socket.send(request, (err) => {
          if (err) {
            const e = new TransportError(
              "unreachable",
              `cannot send to ${describeServer(server)}: ${err.message}`,
            );
            finish(() => fail(e));
          }
        });
      const resend = setInterval(send, opts.retransmitMs);
      const deadline = setTimeout(() => {
        const e = new TransportError(
          "timeout",
          `no answer from ${describeServer(server)} over UDP within ${opts.timeoutMs} ms`,
        );
        finish(() => fail(e));
      }, opts.timeoutMs);
      socket.on("message", (msg) => {
        if (opts.accept(msg)) finish(() => done(new Uint8Array(msg)));
      });
      // A connected socket only receives datagrams from the server; ICMP port unreachable surfaces here.
      socket.on("error", (err) => {
        finish(() =>
          fail(new TransportError("unreachable", `${describeServer(server)} over UDP: ${err.message}`)),
        );
      });
      socket.connect(server.port, address, send);
    });
  } finally {
    socket.close();
  }
}

/** Sends over TCP and reads one length-prefixed reply. */
export async function exchangeTcp(
  server: ServerAddress,
  request: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  const { address } = await resolve(server);
  const socket = new Socket();
  try {
    return await new Promise<Uint8Array>((done, fail) => {
      const deadline = setTimeout(
        () =>
          fail(
            new TransportError(
              "timeout",
              `no answer from ${describeServer(server)} over TCP within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      let received = Buffer.alloc(0);
      socket.on("data", (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2) return;
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        clearTimeout(deadline);
        done(new Uint8Array(received.subarray(2, 2 + length)));
      });
      socket.on("error", (err) => {
        clearTimeout(deadline);
        fail(new TransportError("unreachable", `${describeServer(server)} over TCP: ${err.message}`));
      });
      socket.on("end", () => {
        clearTimeout(deadline);
        fail(
          new TransportError(
            "unreachable",
            `${describeServer(server)} closed the TCP connection before answering`,
          ),
        );
      });
      socket.connect(server.port, address, () => {
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(request.length);
        socket.write(Buffer.concat([prefix, request]));
      });
    });
  } finally {
    socket.destroy();
  }
}
