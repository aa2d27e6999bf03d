/**
 * An Avro `long` that reads and writes JS bigints, exactly, over the whole 64-bit range.
 *
 * avsc's built-in long refuses values past 2^53; k2 keeps every long (timestamps,
 * sequences) as bigint, so we supply our own zig-zag varint codec via
 * `LongType.__with(..., noUnpack = true)`, which hands us the raw varint bytes.
 * Values inside ±2^53 take a fast path in plain number arithmetic.
 */
import avro from 'avsc';

const SAFE = 2n ** 53n;

function encodeVarint(value: bigint): Buffer {
  if (value > -SAFE && value < SAFE) {
    const v = Number(value);
    // zig-zag: non-negative n -> 2n, negative n -> -2n - 1 (exact below 2^54)
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

export const bigintLongType = avro.types.LongType.__with(
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
