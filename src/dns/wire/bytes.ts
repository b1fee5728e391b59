// Bounds-checked big-endian reading and writing of DNS wire data. Every read past the end throws
// WireError, so a truncated or hostile packet fails cleanly instead of yielding garbage.
import { WireError } from "./errors.ts";

export class WireWriter {
  private buf = new Uint8Array(512);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n > 65535) throw new WireError("a DNS message cannot exceed 65535 bytes");
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
  }

  u16(v: number): void {
    this.u8(v >>> 8);
    this.u8(v);
  }

  u32(v: number): void {
    this.u16(Math.floor(v / 0x10000));
    this.u16(v);
  }

  /** TSIG's 48-bit Time Signed. */
  u48(v: number): void {
    this.u16(Math.floor(v / 0x100000000));
    this.u32(v % 0x100000000);
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Overwrites a 16-bit value written earlier, e.g. an RDLENGTH once the RDATA is known. */
  patchU16(offset: number, v: number): void {
    this.buf[offset] = (v >>> 8) & 0xff;
    this.buf[offset + 1] = v & 0xff;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class WireReader {
  readonly bytes: Uint8Array;
  offset: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.offset = offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.length) {
      throw new WireError(`message ends inside ${what} (offset ${this.offset}, ${this.bytes.length} bytes)`);
    }
  }

  u8(what = "a field"): number {
    this.need(1, what);
    return this.bytes[this.offset++] as number;
  }

  u16(what = "a field"): number {
    this.need(2, what);
    const v = ((this.bytes[this.offset] as number) << 8) | (this.bytes[this.offset + 1] as number);
    this.offset += 2;
    return v;
  }

  u32(what = "a field"): number {
    return this.u16(what) * 0x10000 + this.u16(what);
  }

  u48(what = "a field"): number {
    return this.u16(what) * 0x100000000 + this.u32(what);
  }

  take(n: number, what = "a field"): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}
