/**
 * Kafka wire primitives (big-endian): a bounds-checked Reader over one request
 * frame and a growable Writer for responses. Reading past the end throws
 * MalformedFrameError, which the connection turns into "log and close".
 */
import { K2Error } from '../../model/errors.js';

export class MalformedFrameError extends K2Error {
  constructor(message: string, context: Record<string, string | number> = {}) {
    super('MALFORMED_FRAME', message, context);
  }
}

export class Reader {
  offset: number;
  constructor(readonly buf: Buffer, offset = 0) {
    this.offset = offset;
  }
  get remaining(): number {
    return this.buf.length - this.offset;
  }
  private need(n: number, what: string): number {
    if (n < 0 || this.offset + n > this.buf.length) {
      throw new MalformedFrameError(`frame truncated reading ${what}`, { at: this.offset, need: n, size: this.buf.length });
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }
  int8(): number {
    return this.buf.readInt8(this.need(1, 'INT8'));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2, 'INT16'));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4, 'INT32'));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8, 'INT64'));
  }
  bool(): boolean {
    return this.buf[this.need(1, 'BOOLEAN')] !== 0;
  }
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new MalformedFrameError('null where a STRING is required', { at: this.offset });
    return s;
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    const at = this.need(len, 'STRING');
    return this.buf.toString('utf8', at, at + len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    const at = this.need(len, 'BYTES');
    return this.buf.subarray(at, at + len);
  }
  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }
  /** A non-flexible ARRAY; null (-1) is returned as null. */
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32();
    if (n < 0) return null;
    if (n > this.remaining) throw new MalformedFrameError(`array count ${n} exceeds the frame`, { at: this.offset });
    const out: T[] = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }
  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }
  unsignedVarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.buf[this.need(1, 'UNSIGNED_VARINT')]!;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
    throw new MalformedFrameError('varint longer than 5 bytes', { at: this.offset });
  }
  compactString(): string {
    const n = this.unsignedVarint() - 1;
    if (n < 0) throw new MalformedFrameError('null where a COMPACT_STRING is required', { at: this.offset });
    const at = this.need(n, 'COMPACT_STRING');
    return this.buf.toString('utf8', at, at + n);
  }
  skipTagBuffer(): void {
    const count = this.unsignedVarint();
    for (let i = 0; i < count; i++) {
      this.unsignedVarint();
      const size = this.unsignedVarint();
      this.need(size, 'TAG');
    }
  }
}

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Buffers written by reference (recordsByReference): where they go in the output, and what. */
  private readonly spliced: Array<{ at: number; parts: Buffer[] }> = [];
  private splicedBytes = 0;
  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  get length(): number {
    return this.pos;
  }
  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.int16(n);
    this.ensure(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
    return this;
  }
  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s);
  }
  bytes(b: Buffer): this {
    this.int32(b.length);
    return this.raw(b);
  }
  /** RECORDS given as several buffers laid end to end, with one INT32 total length. */
  records(parts: readonly Buffer[]): this {
    let total = 0;
    for (const p of parts) total += p.length;
    this.int32(total);
    for (const p of parts) this.raw(p);
    return this;
  }
  /**
   * Like records(), but the parts are not copied: finishParts() returns them in
   * place, between the bytes written around them (for large Fetch responses, so
   * segment bytes read from the log go to the socket without another copy).
   * Adjacent views of the same memory are merged into one.
   */
  recordsByReference(parts: readonly Buffer[]): this {
    let total = 0;
    for (const p of parts) total += p.length;
    this.int32(total);
    if (total === 0) return this;
    const merged: Buffer[] = [];
    for (const p of parts) {
      if (p.length === 0) continue;
      const last = merged[merged.length - 1];
      if (last !== undefined && last.buffer === p.buffer && last.byteOffset + last.length === p.byteOffset) {
        merged[merged.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + p.length);
      } else merged.push(p);
    }
    this.spliced.push({ at: this.pos, parts: merged });
    this.splicedBytes += total;
    return this;
  }
  /** Total bytes of the output, including buffers written by reference. */
  get totalLength(): number {
    return this.pos + this.splicedBytes;
  }
  raw(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }
  array<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }
  unsignedVarint(v: number): this {
    let x = v >>> 0;
    while (x >= 0x80) {
      this.int8(((x & 0x7f) | 0x80) << 24 >> 24);
      x >>>= 7;
    }
    return this.int8(x << 24 >> 24);
  }
  /** The written bytes (a view; the Writer must not be reused afterwards). Only for Writers without recordsByReference. */
  finish(): Buffer {
    if (this.spliced.length > 0) throw new Error('Writer.finish() after recordsByReference(); use finishParts()');
    return this.buf.subarray(0, this.pos);
  }
  /** The output as buffers to write in order: own bytes with the by-reference parts in place. */
  finishParts(): Buffer[] {
    const out: Buffer[] = [];
    let from = 0;
    for (const { at, parts } of this.spliced) {
      if (at > from) out.push(this.buf.subarray(from, at));
      for (const p of parts) out.push(p);
      from = at;
    }
    if (this.pos > from) out.push(this.buf.subarray(from, this.pos));
    return out;
  }
}
