// Domain names in presentation form ("app.example.com", no trailing dot needed; "" is the root)
// and on the wire (length-prefixed labels, RFC 1035 section 3.1), with message compression
// (section 4.1.4): a name is written as its new labels plus a pointer to a suffix written earlier.
import type { WireReader, WireWriter } from "./bytes.ts";
import { WireError } from "./errors.ts";

const maxLabel = 63;
const maxName = 255;
/** Bytes printed as themselves; anything else is written \DDD so that parsing gives it back exactly. */
const plain = /^[A-Za-z0-9_*-]$/;

export function parseName(text: string): Uint8Array[] {
  const body = text.endsWith(".") && !text.endsWith("\\.") ? text.slice(0, -1) : text;
  if (body === "") return [];
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch === ".") {
      labels.push(finishLabel(current, text));
      current = [];
    } else if (ch === "\\") {
      const digits = /^[0-9]{3}/.exec(body.slice(i + 1))?.[0];
      if (digits !== undefined && Number(digits) <= 255) {
        current.push(Number(digits));
        i += 3;
      } else if (i + 1 < body.length) {
        current.push(body.charCodeAt(++i));
      } else {
        throw new WireError(`name ${JSON.stringify(text)} ends with a lone backslash`);
      }
    } else {
      const code = body.charCodeAt(i);
      if (code > 0x7e || code < 0x21)
        throw new WireError(
          `name ${JSON.stringify(text)} has a character DNS names cannot hold; write it as \\DDD`,
        );
      current.push(code);
    }
  }
  labels.push(finishLabel(current, text));
  if (labels.reduce((n, l) => n + l.length + 1, 1) > maxName) {
    throw new WireError(`name ${JSON.stringify(text)} is longer than ${maxName} bytes on the wire`);
  }
  return labels;
}

function finishLabel(bytes: number[], text: string): Uint8Array {
  if (bytes.length === 0) throw new WireError(`name ${JSON.stringify(text)} has an empty label`);
  if (bytes.length > maxLabel)
    throw new WireError(`name ${JSON.stringify(text)} has a label longer than ${maxLabel} bytes`);
  return Uint8Array.from(bytes);
}

export function formatName(labels: Uint8Array[]): string {
  return labels
    .map((label) =>
      Array.from(label, (b) => {
        const ch = String.fromCharCode(b);
        return plain.test(ch) ? ch : `\\${String(b).padStart(3, "0")}`;
      }).join(""),
    )
    .join(".");
}

/** The name in the form DNS compares names: ASCII letters lowercased, no trailing dot. */
export function normalizeName(text: string): string {
  return formatName(parseName(text).map((l) => l.map((b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b))));
}

/** Whether `name` is `zone` or lies below it. */
export function isInZone(name: string, zone: string): boolean {
  const n = normalizeName(name);
  const z = normalizeName(zone);
  return z === "" || n === z || n.endsWith(`.${z}`);
}

/** Offsets of name suffixes already written in one message, keyed by their exact wire bytes. */
export type CompressionTable = Map<string, number>;

const suffixKey = (labels: Uint8Array[]) => labels.map((l) => String.fromCharCode(l.length, ...l)).join("");

/**
 * Writes a name. With a table, the longest suffix written before becomes a pointer and the new
 * suffixes are remembered; without one (TSIG fields, canonical forms) the name is written in full.
 */
export function writeName(w: WireWriter, text: string, table?: CompressionTable): void {
  const labels = parseName(text);
  for (let i = 0; i < labels.length; i++) {
    const key = suffixKey(labels.slice(i));
    const earlier = table?.get(key);
    if (earlier !== undefined) {
      w.u16(0xc000 | earlier);
      return;
    }
    // Pointers have 14 bits, so only suffixes starting in the first 16 KiB can be pointed at.
    if (table && w.length < 0x4000) table.set(key, w.length);
    const label = labels[i] as Uint8Array;
    w.u8(label.length);
    w.bytes(label);
  }
  w.u8(0);
}

/**
 * Reads a name, following compression pointers. Each pointer must point before the previous
 * one's target, so the targets strictly decrease and a hostile packet cannot make a loop.
 */
export function readName(r: WireReader): string {
  const labels: Uint8Array[] = [];
  let wireLength = 1;
  let pos = r.offset;
  let limit = r.offset;
  let resumeAt: number | undefined;
  for (;;) {
    const len = r.bytes[pos];
    if (len === undefined) throw new WireError(`message ends inside a name (offset ${pos})`);
    if (len === 0) {
      pos += 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      const low = r.bytes[pos + 1];
      if (low === undefined) throw new WireError(`message ends inside a compression pointer (offset ${pos})`);
      const target = ((len & 0x3f) << 8) | low;
      if (target >= limit)
        throw new WireError(`compression pointer at offset ${pos} does not point backwards`);
      resumeAt ??= pos + 2;
      pos = target;
      limit = target;
      continue;
    }
    if (kind !== 0) throw new WireError(`unsupported label type 0x${kind.toString(16)} at offset ${pos}`);
    if (pos + 1 + len > r.bytes.length) throw new WireError(`message ends inside a label (offset ${pos})`);
    wireLength += len + 1;
    if (wireLength > maxName)
      throw new WireError(`name at offset ${r.offset} is longer than ${maxName} bytes`);
    labels.push(r.bytes.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  r.offset = resumeAt ?? pos;
  return formatName(labels);
}
