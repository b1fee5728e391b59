// One signed request and its verified reply: TSIG-sign, send over UDP, ask again over TCP when
// the reply is truncated, and check the reply's TSIG. What the reply means is the caller's call.
import { randomInt } from "node:crypto";
import { WireError } from "./errors.ts";
import { decodeMessage, encodeMessage, type Message } from "./message.ts";
import { normalizeName } from "./name.ts";
import { exchangeTcp, exchangeUdp, type ServerAddress } from "./transport.ts";
import { type ResponseCheck, signRequest, type TsigKey, verifyResponse } from "./tsig.ts";

export interface ExchangeOptions {
  /** How long to wait for a reply, per transport. */
  timeoutMs: number;
  /** How often an unanswered UDP request is sent again. */
  retransmitMs: number;
  /** The clock TSIG signs with and checks against, in ms (tests move it). */
  now: () => number;
}

export interface Reply {
  message: Message;
  tsig: ResponseCheck;
  transport: "udp" | "tcp";
}

/** A fresh random message ID: guessing it is part of what keeps forged UDP replies out. */
export const newMessageId = () => randomInt(0, 0x10000);

export async function exchange(
  server: ServerAddress,
  request: Message,
  key: TsigKey,
  opts: ExchangeOptions,
): Promise<Reply> {
  const signed = signRequest(encodeMessage(request), key, Math.floor(opts.now() / 1000));
  const id = request.header.id;
  const accept = (reply: Uint8Array) =>
    reply.length >= 12 &&
    (((reply[0] as number) << 8) | (reply[1] as number)) === id &&
    ((reply[2] as number) & 0x80) !== 0;
  let transport: Reply["transport"] = "udp";
  let bytes = await exchangeUdp(server, signed.bytes, { ...opts, accept });
  let decoded = decodeMessage(bytes);
  if (decoded.message.header.tc) {
    transport = "tcp";
    bytes = await exchangeTcp(server, signed.bytes, opts.timeoutMs);
    decoded = decodeMessage(bytes);
    if (decoded.message.header.id !== id)
      throw new WireError(`the TCP reply has ID ${decoded.message.header.id}, not ${id}`);
  }
  assertAnswers(request, decoded.message);
  return {
    message: decoded.message,
    tsig: verifyResponse(bytes, decoded, key, signed.mac, opts.now() / 1000),
    transport,
  };
}

/** A reply must echo our opcode and question (zone section), or it answers something else. */
function assertAnswers(request: Message, reply: Message): void {
  if (reply.header.opcode !== request.header.opcode) {
    throw new WireError(`the reply has opcode ${reply.header.opcode}, the request ${request.header.opcode}`);
  }
  const [asked] = request.questions;
  const [echoed] = reply.questions;
  // FORMERR and NOTIMP replies may leave the question out.
  if (!echoed) return;
  if (!asked || normalizeName(echoed.name) !== normalizeName(asked.name) || echoed.type !== asked.type) {
    throw new WireError(`the reply is about ${echoed.name} type ${echoed.type}, not what was asked`);
  }
}
