/**
 * The tap-level decimal and bigint-long codecs and the single-buffer encodeWire must produce
 * exactly the bytes and values of a straightforward reference implementation.
 */
import { describe, expect, it } from 'vitest';
import { DecimalError } from '../../src/model/errors.js';
import { decodeUnscaled, encodeUnscaled } from '../../src/schema/avro-logical-types.js';
import { avroType, v2Type } from '../../src/schema/v2-schemas.js';
import { decodeWire, encodeWire, splitWire } from '../../src/schema/wire-format.js';

/** Reference: minimal two's-complement big-endian bytes, one bigint shift at a time. */
function refEncodeUnscaled(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0xffn);
    out.unshift(byte);
    v >>= 8n;
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) return out;
  }
}

function refDecodeUnscaled(bytes: readonly number[]): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if ((bytes[0]! & 0x80) !== 0) v -= 1n << BigInt(bytes.length * 8);
  return v;
}

/** Reference: zig-zag varint of a 64-bit long. */
function refVarint(value: bigint): number[] {
  let z = value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}

/** Deterministic pseudo-random bigints with a random bit width up to `maxBits`. */
function randomBigints(count: number, maxBits: number, seed: number): bigint[] {
  let s = BigInt(seed);
  const next = (): bigint => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    return s;
  };
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const bits = Number(next() % BigInt(maxBits)) + 1;
    let v = next() & ((1n << BigInt(bits)) - 1n);
    if ((next() & 1n) === 1n) v = -v;
    out.push(v);
  }
  return out;
}

const MAX = 10n ** 18n - 1n;
const TWO53 = 2n ** 53n;

/** Edge values: every byte-length boundary of 1..8 bytes, ±(2^53±1), ±(10^18-1). */
function boundaryValues(): bigint[] {
  const vs = new Set<bigint>([0n, 1n, -1n, TWO53, TWO53 - 1n, TWO53 + 1n, -TWO53, -TWO53 + 1n, -TWO53 - 1n, MAX, -MAX, MAX - 1n, -MAX + 1n]);
  for (let bytes = 1; bytes <= 8; bytes++) {
    const lim = 1n << BigInt(8 * bytes - 1);
    for (const v of [lim - 1n, lim, lim + 1n, -lim, -lim - 1n, -lim + 1n, lim / 2n, -lim / 2n]) {
      if (v >= -MAX && v <= MAX) vs.add(v);
    }
  }
  for (let k = 0; k < 64; k++) {
    const p = 1n << BigInt(k);
    for (const v of [p, p - 1n, -p, -p + 1n, 0xffn * p]) if (v >= -MAX && v <= MAX) vs.add(v);
  }
  return [...vs];
}

describe('decimal codec (scaled bigint over bytes)', () => {
  const values = [...boundaryValues(), ...randomBigints(5000, 60, 7).filter((v) => v >= -MAX && v <= MAX)];

  it('encodes every boundary and random value to the reference minimal two\'s complement, of every length 1..8', () => {
    const lengths = new Set<number>();
    for (const v of values) {
      const bytes = [...encodeUnscaled(v)];
      expect(bytes, String(v)).toEqual(refEncodeUnscaled(v));
      lengths.add(bytes.length);
    }
    expect([...lengths].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('decodes byte strings of every length 0..10, minimal or sign-padded, like the reference', () => {
    for (const v of values) {
      const ref = refEncodeUnscaled(v);
      expect(decodeUnscaled(Buffer.from(ref)), String(v)).toBe(v);
      // non-minimal encodings (sign extension) decode to the same value
      const pad = (v < 0n ? 0xff : 0x00);
      const padded = [pad, pad, ...ref];
      expect(decodeUnscaled(Buffer.from(padded)), `padded ${v}`).toBe(refDecodeUnscaled(padded));
    }
    for (const bytes of [[], [0x80], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x80, 0, 0, 0, 0, 0, 0, 0], [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 1]]) {
      expect(decodeUnscaled(Buffer.from(bytes)), JSON.stringify(bytes)).toBe(refDecodeUnscaled(bytes));
    }
    // decoding inside a larger buffer only looks at [start, end)
    const inner = refEncodeUnscaled(-MAX);
    const outer = Buffer.from([0x12, ...inner, 0x34]);
    expect(decodeUnscaled(outer, 1, 1 + inner.length)).toBe(-MAX);
  });

  it('writes the Avro bytes field as length varint + reference bytes, and reads it back, in a record', () => {
    const t = avroType({ type: 'record', name: 'D', fields: [{ name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 8 } }, { name: 'after', type: 'string' }] });
    for (const v of values) {
      const ref = refEncodeUnscaled(v);
      const buf = t.toBuffer({ d: v, after: 'z' });
      expect([...buf], String(v)).toEqual([ref.length * 2, ...ref, 2, 0x7a]);
      expect((t.fromBuffer(buf) as { d: bigint }).d).toBe(v);
    }
  });

  it('still refuses non-bigints and values past 18 digits, and reports truncated bodies', () => {
    const t = avroType({ type: 'record', name: 'D', fields: [{ name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 8 } }] });
    expect(() => t.toBuffer({ d: MAX + 1n })).toThrow(DecimalError);
    expect(() => t.toBuffer({ d: -MAX - 1n })).toThrow(DecimalError);
    expect(() => t.toBuffer({ d: 5 })).toThrow(DecimalError);
    const framed = encodeWire(t, 3, { d: -MAX });
    expect(() => decodeWire(framed.subarray(0, framed.length - 2), t)).toThrow(/cannot decode Avro body/);
  });
});

describe('bigint long codec', () => {
  it('writes reference zig-zag varints and reads them back over the whole 64-bit range', () => {
    const t = avroType({ type: 'record', name: 'L', fields: [{ name: 'n', type: 'long' }, { name: 'o', type: ['null', 'long'] }] });
    const edges = [0n, 1n, -1n, 63n, -64n, 64n, -65n, TWO53 - 1n, TWO53, TWO53 + 1n, -TWO53 + 1n, -TWO53, -TWO53 - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
    for (let k = 0; k < 63; k++) edges.push(1n << BigInt(k), -(1n << BigInt(k)), (1n << BigInt(k)) - 1n);
    for (const n of [...edges, ...randomBigints(3000, 63, 11)]) {
      const buf = t.toBuffer({ n, o: n });
      const ref = refVarint(n);
      expect([...buf], String(n)).toEqual([...ref, 2, ...ref]);
      const back = t.fromBuffer(buf) as { n: bigint; o: bigint };
      expect(back.n).toBe(n);
      expect(back.o).toBe(n);
    }
    expect(() => t.toBuffer({ n: 2n ** 63n, o: null })).toThrow();
    expect(() => t.toBuffer({ n: 1, o: null })).toThrow();
  });
});

describe('encodeWire', () => {
  it('frames exactly the toBuffer body, also for bodies larger than the scratch buffer', () => {
    const t = v2Type('trades');
    const base = {
      message_id: '9f1e6d02-5c95-8f58-99b3-9fe6adc3a104', trade_id: 'x', symbol: 'S', exchange: 'E', asset_class: 'crypto', timestamp: 1n,
      price: 123456789n, quantity: -MAX, currency: 'USD', side: 'BUY', trade_conditions: [] as string[], source_sequence: 5n, ingestion_timestamp: 2n,
      platform_sequence: -(2n ** 63n), vendor_data: null as Record<string, string> | null,
    };
    const big = { ...base, vendor_data: { blob: 'q'.repeat(20_000) }, trade_conditions: ['a', 'b'] };
    for (const rec of [base, big, base]) {
      const framed = encodeWire(t, 0x01020304, rec);
      expect([...framed.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
      expect(framed.subarray(5).equals(t.toBuffer(rec))).toBe(true);
      expect(splitWire(framed).schemaId).toBe(0x01020304);
      expect(decodeWire(framed, t)).toEqual(rec);
    }
  });
});
