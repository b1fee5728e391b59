// IP addresses between text and the 4- or 16-byte RDATA of A and AAAA records. AAAA text is
// written in the RFC 5952 form (lowercase, longest zero run as "::"), so two spellings of one
// address compare equal once they have been through the wire form.
import { isIPv4, isIPv6 } from "node:net";
import { WireError } from "./errors.ts";

export function ipv4ToBytes(text: string): Uint8Array {
  if (!isIPv4(text)) throw new WireError(`${JSON.stringify(text)} is not an IPv4 address`);
  return Uint8Array.from(text.split(".").map(Number));
}

export function bytesToIpv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new WireError(`an A record holds 4 bytes, not ${bytes.length}`);
  return Array.from(bytes).join(".");
}

export function ipv6ToBytes(text: string): Uint8Array {
  if (!isIPv6(text)) throw new WireError(`${JSON.stringify(text)} is not an IPv6 address`);
  // A trailing dotted quad (::ffff:192.0.2.1) stands for the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  let hex = text;
  if (quad) {
    const b = ipv4ToBytes(quad);
    hex = `${text.slice(0, -quad.length)}${(((b[0] as number) << 8) | (b[1] as number)).toString(16)}:${(((b[2] as number) << 8) | (b[3] as number)).toString(16)}`;
  }
  const [head = "", tail] = hex.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function bytesToIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new WireError(`an AAAA record holds 16 bytes, not ${bytes.length}`);
  const groups = Array.from(
    { length: 8 },
    (_, i) => ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number),
  );
  // The longest run of two or more zero groups (the first of equals) becomes "::".
  let best = { start: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (best.start < 0) return hex(groups);
  return `${hex(groups.slice(0, best.start))}::${hex(groups.slice(best.start + best.len))}`;
}
