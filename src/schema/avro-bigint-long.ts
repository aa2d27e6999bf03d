/**
 * An Avro `long` that reads and writes JS bigints, exactly, over the whole 64-bit range.
 *
 * avsc's built-in long refuses values past 2^53; k2 keeps every long (timestamps,
 * sequences) as bigint, so we supply our own zig-zag varint codec via
 * `LongType.__with(..., noUnpack = true)`, which hands us the raw varint bytes.
 * Values inside ±2^53 take a fast path in plain number arithmetic.
 *
 * Hot path: the type's _read/_write are replaced by versions that work on avsc's
 * tap directly (no Buffer per value); they produce the same bytes and values as
 * the toBuffer/fromBuffer pair below, which avsc still uses elsewhere.
 */
import avro from 'avsc';
import type { AvscTap } from './avro-logical-types.js';

const SAFE = 2n ** 53n;
/**
 * Lower bound of the number fast path when encoding: the zig-zag of a negative n is
 * -2n - 1, exact as a double only while it stays <= 2^53, i.e. n >= -2^52. (Up to the
 * 2026-11 fix the bound was -2^53 and negatives in (-2^53, -2^52) were mis-encoded.)
 */
const MIN_FAST_ENCODE = -(2n ** 52n);

function encodeVarint(value: bigint): Buffer {
  if (value >= MIN_FAST_ENCODE && value < SAFE) {
    const v = Number(value);
    // zig-zag: non-negative n -> 2n (exact below 2^54), negative n -> -2n - 1 (exact down to n = -2^52)
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    const out: number[] = [];
    while (z >= 0x80) {
      out.push((z % 0x80) | 0x80);
      z = Math.floor(z / 0x80);
    }
    out.push(z);
    return Buffer.from(out);
  }
  let z = value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

function decodeVarint(buf: Buffer): bigint {
  if (buf.length <= 7) {
    // up to 49 bits of payload: number arithmetic is exact
    let z = 0;
    let mul = 1;
    for (let i = 0; i < buf.length; i++) {
      z += (buf[i]! & 0x7f) * mul;
      mul *= 0x80;
    }
    return BigInt(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
  }
  let z = 0n;
  let shift = 0n;
  for (let i = 0; i < buf.length; i++) {
    z |= BigInt(buf[i]! & 0x7f) << shift;
    shift += 7n;
  }
  return (z & 1n) === 0n ? z >> 1n : -((z + 1n) >> 1n);
}

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

const withMethods = avro.types.LongType.__with(
  {
    fromBuffer: (buf: Buffer) => decodeVarint(buf),
    toBuffer: (n: bigint) => encodeVarint(n),
    fromJSON: (json: unknown) => BigInt(json as string | number),
    toJSON: (n: bigint) => (n > -SAFE && n < SAFE ? Number(n) : n.toString()),
    isValid: (n: unknown) => typeof n === 'bigint' && n >= MIN_LONG && n <= MAX_LONG,
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  },
  true,
);

const MAX_BYTES_DOUBLE = 7; // 7 varint bytes carry 49 bits: exact as a double

/** Reads a zig-zag varint at tap.pos, like AbstractLongType._read with noUnpack + decodeVarint. */
export function readBigintLong(tap: AvscTap): bigint | undefined {
  const buf = tap.buf;
  const start = tap.pos;
  let pos = start;
  // same scan as Tap.skipLong: stop at the first byte without the continuation bit (or past the end)
  while ((buf[pos++]! & 0x80) !== 0) {
    /* scan */
  }
  tap.pos = pos;
  if (pos > buf.length) return undefined;
  const n = pos - start;
  if (n <= MAX_BYTES_DOUBLE) {
    let z = 0;
    let mul = 1;
    for (let i = start; i < pos; i++) {
      z += (buf[i]! & 0x7f) * mul;
      mul *= 0x80;
    }
    return BigInt(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
  }
  return decodeVarint(buf.subarray(start, pos));
}

/** Writes a zig-zag varint at tap.pos, like AbstractLongType._write with noUnpack + encodeVarint. */
function writeBigintLong(tap: AvscTap, value: unknown): void {
  if (!(typeof value === 'bigint' && value >= MIN_LONG && value <= MAX_LONG)) {
    // the inherited path throws avsc's usual invalid-value error
    AbstractLongWrite.call(withMethods, tap, value);
    return;
  }
  if (value >= MIN_FAST_ENCODE && value < SAFE) {
    const v = Number(value);
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    const buf = tap.buf;
    let pos = tap.pos;
    // bytes past the end are dropped by the typed array; pos still advances, as in Tap.writeFixed
    while (z >= 0x80) {
      buf[pos++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    buf[pos++] = z;
    tap.pos = pos;
    return;
  }
  const bytes = encodeVarint(value);
  const pos = tap.pos;
  tap.pos += bytes.length;
  if (tap.pos <= tap.buf.length) tap.buf.set(bytes, pos);
}

type AbstractLong = avro.types.LongType & { _write(this: unknown, tap: AvscTap, v: unknown): void };
const AbstractLongWrite = (withMethods as AbstractLong)._write;

/**
 * `LongType.__with` returns a frozen instance, so the same construction is repeated here
 * (a new AbstractLongType with noUnpack, the six methods copied over) with the two tap-level
 * methods added before freezing.
 */
function withTapMethods(template: avro.types.LongType): avro.types.LongType {
  const Ctor = template.constructor as new (noUnpack: boolean) => Record<string, unknown>;
  const type = new Ctor(true);
  for (const k of ['_toBuffer', '_fromBuffer', '_fromJSON', '_toJSON', '_isValid', 'compare']) {
    type[k] = (template as unknown as Record<string, unknown>)[k];
  }
  type._read = readBigintLong;
  type._write = writeBigintLong;
  return Object.freeze(type) as unknown as avro.types.LongType;
}

export const bigintLongType = withTapMethods(withMethods);
