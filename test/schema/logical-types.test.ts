import { describe, expect, it } from 'vitest';
import { DecimalError } from '../../src/model/errors.js';
import { bigintLongType } from '../../src/schema/avro-bigint-long.js';
import { avroType, v2SchemaString, v2Type } from '../../src/schema/v2-schemas.js';

describe('avsc logical types and bigint longs', () => {
  it('encodes plain longs as exact bigints over the whole 64-bit range, with standard zig-zag varints', () => {
    const t = avroType({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'long' }] });
    for (const n of [0n, 1n, -1n, 63n, -64n, 64n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      const back = t.fromBuffer(t.toBuffer({ n })) as { n: bigint };
      expect(back.n, String(n)).toBe(n);
    }
    // zig-zag varint bytes as in the Avro spec: 1 -> 02, -1 -> 01, 64 -> 80 01
    expect([...t.toBuffer({ n: 1n })]).toEqual([2]);
    expect([...t.toBuffer({ n: -1n })]).toEqual([1]);
    expect([...t.toBuffer({ n: 64n })]).toEqual([0x80, 0x01]);
    expect([...t.toBuffer({ n: -(2n ** 63n) })]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(t.isValid({ n: 2n ** 63n })).toBe(false);
    expect(t.isValid({ n: 5 })).toBe(false);
    expect(bigintLongType).toBeDefined();
  });

  it('refuses timestamp-micros past 2^53 and non-bigint timestamps rather than losing precision', () => {
    const t = v2Type('trades');
    const base = {
      message_id: '9f1e6d02-5c95-8f58-99b3-9fe6adc3a104', trade_id: 'x', symbol: 'S', exchange: 'E', asset_class: 'crypto', timestamp: 1n,
      price: 1n, quantity: 1n, currency: 'USD', side: 'BUY', trade_conditions: [], source_sequence: null, ingestion_timestamp: 1n,
      platform_sequence: null, vendor_data: null,
    };
    expect(() => t.toBuffer({ ...base, timestamp: 2n ** 60n })).toThrow(/out of range/);
    expect(() => t.toBuffer({ ...base, timestamp: 1394406401395000 })).toThrow();
    // the largest accepted value: avsc's number long stops just below Number.MAX_SAFE_INTEGER
    expect((t.fromBuffer(t.toBuffer({ ...base, timestamp: 9_007_199_254_740_990n })) as { timestamp: bigint }).timestamp).toBe(9_007_199_254_740_990n);
    expect((t.fromBuffer(t.toBuffer({ ...base, timestamp: -1n })) as { timestamp: bigint }).timestamp).toBe(-1n);
  });

  it('never reads another decimal(p,s) as a scaled (18,8) value', () => {
    // ScaledDecimalType refuses (10,2) with a DecimalError; avsc then falls back to the
    // underlying bytes, so such a field decodes as raw bytes, never as a wrong number.
    const t = avroType({ type: 'record', name: 'R', fields: [{ name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } }] });
    const back = t.fromBuffer(t.toBuffer({ d: Buffer.from([0x01, 0x00]) })) as { d: unknown };
    expect(Buffer.isBuffer(back.d)).toBe(true);
    expect(typeof back.d).not.toBe('bigint');
    expect(DecimalError).toBeDefined();
  });

  it('resolves the registered v2 schema strings against the v2 reader types (the decode path)', () => {
    for (const kind of ['trades', 'quotes', 'reference_data'] as const) {
      const reader = v2Type(kind);
      const writer = avroType(v2SchemaString(kind));
      expect(writer.equals(reader)).toBe(true);
      expect(reader.createResolver(writer)).toBeDefined();
    }
  });
});

describe('isUuid', () => {
  it('accepts exactly 8-4-4-4-12 hex digits, in either case', async () => {
    const { isUuid } = await import('../../src/schema/avro-logical-types.js');
    const re = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const good = ['00000000-0000-4000-8000-000000000001', 'ABCDEF01-2345-6789-abcd-ef0123456789'];
    const bad = ['', '00000000-0000-4000-8000-00000000000', '00000000-0000-4000-8000-0000000000001', '00000000_0000-4000-8000-000000000001', 'g0000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000000G', '00000000-0000-4000-80000000000000001', ' 0000000-0000-4000-8000-000000000001'];
    for (const s of [...good, ...bad]) expect(isUuid(s), s).toBe(re.test(s));
    // every single-character mutation of a valid id agrees with the regex
    const base = good[0]!;
    for (let i = 0; i < base.length; i++) {
      for (const ch of ['-', 'a', 'F', 'z', '/', ':', '@', '`', 'G', 'g', '0']) {
        const s = base.slice(0, i) + ch + base.slice(i + 1);
        expect(isUuid(s), s).toBe(re.test(s));
      }
    }
  });
});
