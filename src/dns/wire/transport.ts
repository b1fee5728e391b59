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

/** Why a server could not be talked to: no answer in time, refused, unresolvable or malformed address. */
export class TransportError extends Error {}

/** Parses "host:port" or "[ipv6]:port", the form of spec.dns.provider.rfc2136.server. */
export function parseServer(text: string): ServerAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) {
    throw new TransportError(
      `server ${JSON.stringify(text)} is not host:port or [ipv6]:port, e.g. 192.0.2.53:53`,
    );
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
    throw new TransportError(`cannot resolve DNS server name ${server.host}: ${(err as Error).message}`);
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
      // Called once the promise settles, so no retransmit fires on a closed socket.
      const stop = () => {
        clearInterval(resend);
        clearTimeout(deadline);
        socket.removeAllListeners("message");
      };
      const failWith = (message: string) => {
        stop();
        fail(new TransportError(message));
      };
      const send = () =>
        socket.send(request, (err) => {
          if (err) failWith(`cannot send to ${describeServer(server)}: ${err.message}`);
        });
      const resend = setInterval(send, opts.retransmitMs);
      const deadline = setTimeout(
        () => failWith(`no answer from ${describeServer(server)} over UDP within ${opts.timeoutMs} ms`),
        opts.timeoutMs,
      );
      socket.on("message", (msg) => {
        if (!opts.accept(msg)) return;
        stop();
        done(new Uint8Array(msg));
      });
      // A connected socket only receives datagrams from the server; ICMP port unreachable surfaces here.
      socket.on("error", (err) => failWith(`${describeServer(server)} over UDP: ${err.message}`));
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
      const failWith = (message: string) => {
        clearTimeout(deadline);
        fail(new TransportError(message));
      };
      const deadline = setTimeout(
        () => failWith(`no answer from ${describeServer(server)} over TCP within ${timeoutMs} ms`),
        timeoutMs,
      );
      let received = Buffer.alloc(0);
      socket.on("data", (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
        clearTimeout(deadline);
        done(new Uint8Array(received.subarray(2, 2 + received.readUInt16BE(0))));
      });
      socket.on("error", (err) => failWith(`${describeServer(server)} over TCP: ${err.message}`));
      socket.on("end", () =>
        failWith(`${describeServer(server)} closed the TCP connection before answering`),
      );
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
