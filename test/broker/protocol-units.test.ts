import { describe, expect, it } from 'vitest';
import { NATIVE_CRC32C_MIN_BYTES, crc32c, crc32cPortable, nativeCrc32cLoaded } from '../../src/broker/protocol/crc32c.js';
import { ErrorCode } from '../../src/broker/protocol/error-codes.js';
import { MalformedFrameError, Reader, Writer } from '../../src/broker/protocol/primitives.js';
import { readBatchHeader, validateProducedBatch } from '../../src/broker/protocol/record-batch.js';
import { ProducerStateManager } from '../../src/broker/producer/producer-state.js';
import { buildBatch } from './support/batch-builder.js';

describe('wire primitives', () => {
  it('round-trips every primitive and measures strings in bytes', () => {
    const w = new Writer(4).int8(-3).int16(-300).int32(123456789).int64(-(2n ** 60n)).bool(true).string('héllo').nullableString(null).bytes(Buffer.from([1, 2])).unsignedVarint(300);
    const r = new Reader(w.finish());
    expect([r.int8(), r.int16(), r.int32(), r.int64(), r.bool(), r.string(), r.nullableString(), [...r.bytes()], r.unsignedVarint()]).toEqual([
      -3, -300, 123456789, -(2n ** 60n), true, 'héllo', null, [1, 2], 300,
    ]);
    expect(r.remaining).toBe(0);
  });

  it('encodes unsigned varint 300 as AC 02', () => {
    expect([...new Writer().unsignedVarint(300).finish()]).toEqual([0xac, 0x02]);
  });

  it('throws MalformedFrameError when reading past the end or on an absurd array count', () => {
    expect(() => new Reader(Buffer.from([0, 5, 65])).string()).toThrow(MalformedFrameError);
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).array((x) => x.int8())).toThrow(MalformedFrameError);
  });
});

describe('CRC-32C and RecordBatch validation', () => {
  it('matches the CRC-32C check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('accepts a well-formed batch and reads its header', () => {
    const b = buildBatch({ producerId: 7n, epoch: 0, baseSequence: 0, records: [{ key: 'a', value: 'x' }, { key: 'b', value: 'y' }] });
    const v = validateProducedBatch(b, 1 << 20);
    expect(v.ok).toBe(true);
    const h = readBatchHeader(b);
    expect([h.recordCount, h.lastOffsetDelta, h.producerId, h.size]).toEqual([2, 1, 7n, b.length]);
  });

  it('rejects corrupt CRC, wrong magic, truncation, oversize and sequence-less idempotent batches', () => {
    const good = buildBatch({ records: [{ key: 'a', value: 'x' }] });
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] ^= 0xff;
    expect(validateProducedBatch(flipped, 1 << 20)).toMatchObject({ ok: false, error: ErrorCode.CORRUPT_MESSAGE });
    const magic = Buffer.from(good);
    magic.writeInt8(1, 16);
    expect(validateProducedBatch(magic, 1 << 20)).toMatchObject({ ok: false, error: ErrorCode.INVALID_RECORD });
    expect(validateProducedBatch(good.subarray(0, good.length - 1), 1 << 20)).toMatchObject({ ok: false, error: ErrorCode.INVALID_RECORD });
    expect(validateProducedBatch(good, good.length - 1)).toMatchObject({ ok: false, error: ErrorCode.MESSAGE_TOO_LARGE });
    const noSeq = buildBatch({ producerId: 3n, epoch: 0, baseSequence: -1, records: [{ key: 'a', value: 'x' }] });
    expect(validateProducedBatch(noSeq, 1 << 20)).toMatchObject({ ok: false, error: ErrorCode.INVALID_RECORD });
  });
});

describe('idempotent producer state', () => {
  const header = (seq: number, count: number, epoch = 0, pid = 5n) =>
    readBatchHeader(buildBatch({ producerId: pid, epoch, baseSequence: seq, records: Array.from({ length: count }, (_, i) => ({ key: null, value: String(i) })) }));

  it('answers an exact duplicate with its original offset and checks order', () => {
    const s = new ProducerStateManager();
    const h0 = header(0, 3);
    expect(s.check('t', 0, h0)).toEqual({ kind: 'append' });
    s.record('t', 0, h0, 100n);
    expect(s.check('t', 0, h0)).toEqual({ kind: 'duplicate', baseOffset: 100n });
    expect(s.check('t', 0, header(5, 1))).toMatchObject({ kind: 'reject', error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    const h3 = header(3, 2);
    expect(s.check('t', 0, h3)).toEqual({ kind: 'append' });
    s.record('t', 0, h3, 103n);
    expect(s.check('t', 0, h0)).toEqual({ kind: 'duplicate', baseOffset: 100n });
    // sequences are per partition
    expect(s.check('t', 1, header(42, 1))).toEqual({ kind: 'append' });
  });

  it('fences old epochs and accepts a bumped epoch only from sequence 0', () => {
    const s = new ProducerStateManager();
    s.record('t', 0, header(0, 1, 2), 0n);
    expect(s.check('t', 0, header(1, 1, 1))).toMatchObject({ kind: 'reject', error: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(s.check('t', 0, header(4, 1, 3))).toMatchObject({ kind: 'reject', error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(s.check('t', 0, header(0, 1, 3))).toEqual({ kind: 'append' });
  });

  it('skips every check for non-idempotent batches', () => {
    const s = new ProducerStateManager();
    const h = readBatchHeader(buildBatch({ records: [{ key: null, value: 'v' }] }));
    s.record('t', 0, h, 0n);
    expect(s.check('t', 0, h)).toEqual({ kind: 'append' });
  });
});

describe('CRC-32C against a bytewise reference', () => {
  it('agrees on random buffers of every length 0..300 and offsets', () => {
    const table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
    const slow = (b: Buffer, s: number, e: number): number => {
      let crc = -1;
      for (let i = s; i < e; i++) crc = table[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
      return (crc ^ -1) >>> 0;
    };
    let seed = 12345;
    const buf = Buffer.alloc(400);
    for (let i = 0; i < buf.length; i++) buf[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let len = 0; len <= 300; len++) for (const s of [0, 3, 21]) expect(crc32c(buf, s, s + len)).toBe(slow(buf, s, s + len));
  });

  it('the native binding is loaded here and agrees with the portable code on long inputs, at any offset', () => {
    // @node-rs/crc32 ships a prebuilt binding for this platform: a failed load would silently cost speed
    expect(nativeCrc32cLoaded).toBe(true);
    let seed = 777;
    const buf = Buffer.alloc(300_000);
    for (let i = 0; i < buf.length; i++) buf[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    const lengths = [NATIVE_CRC32C_MIN_BYTES - 1, NATIVE_CRC32C_MIN_BYTES, NATIVE_CRC32C_MIN_BYTES + 7, 65_536, 299_000];
    for (const len of lengths) {
      for (const s of [0, 1, 13]) expect(crc32c(buf, s, s + len)).toBe(crc32cPortable(buf, s, s + len));
    }
    expect(crc32c(buf)).toBe(crc32cPortable(buf));
    // a Uint8Array that is not a Buffer, and a view into a larger buffer
    const view = new Uint8Array(buf.buffer, buf.byteOffset + 5, 70_000);
    expect(crc32c(view)).toBe(crc32cPortable(view));
    // one flipped bit changes it
    const flipped = Buffer.from(buf.subarray(0, 65_536));
    flipped[40_000]! ^= 0x10;
    expect(crc32c(flipped)).not.toBe(crc32c(buf, 0, 65_536));
  });

  it('rejects a long batch (checked natively) with one corrupt byte', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `value-${i}-`.repeat(4) }));
    const good = buildBatch({ records });
    expect(good.length).toBeGreaterThan(NATIVE_CRC32C_MIN_BYTES);
    expect(validateProducedBatch(good, 1 << 20).ok).toBe(true);
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)]! ^= 0x01;
    expect(validateProducedBatch(bad, 1 << 20)).toMatchObject({ ok: false, error: ErrorCode.CORRUPT_MESSAGE });
  });
});
