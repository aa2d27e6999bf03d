/** Single-value serialization, bound truncation, lossless JSON and the partition transform. */
import { describe, expect, it } from 'vitest';
import { parseLosslessJson, stringifyLosslessJson } from '../../src/iceberg/lossless-json.js';
import { parseCutoff, parseSize } from '../../src/iceberg/maintenance-options.js';
import { parseDuckDbTimestamp } from '../../src/iceberg/duckdb-stats.js';
import { dayOf, dayToIso, partitionPath } from '../../src/iceberg/partitioning.js';
import {
  compareCodePoints,
  decodeDecimal,
  decodeLong,
  encodeDecimal,
  encodeInt,
  encodeLong,
  encodeString,
  truncateStringLower,
  truncateStringUpper,
} from '../../src/iceberg/single-value.js';
import { ConfigError } from '../../src/model/errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('single-value serialization (spec Appendix D)', () => {
  it('matches the spec examples', () => {
    expect(hex(encodeInt(1000))).toBe('e8030000');
    expect(hex(encodeLong(1000n))).toBe('e803000000000000');
    expect(hex(encodeInt(19724))).toBe('0c4d0000');
    expect(hex(encodeLong(1704164645123456n))).toBe('80b54fc0ed0d0600');
    expect(hex(encodeDecimal(12345000000n))).toBe('02dfd1c040');
    expect(hex(encodeDecimal(-12345000000n))).toBe('fd202e3fc0');
    expect(hex(encodeDecimal(0n))).toBe('00');
    expect(hex(encodeDecimal(128n))).toBe('0080');
    expect(hex(encodeDecimal(-128n))).toBe('80');
    expect(hex(encodeString('BTCUSDT'))).toBe('42544355534454');
    expect(decodeLong(encodeLong(-5n))).toBe(-5n);
    expect(decodeDecimal(encodeDecimal(999_999_999_999_999_999n))).toBe(999_999_999_999_999_999n);
  });

  it('truncates string bounds to 16 code points, incrementing the upper one', () => {
    const s = 'abcdefghijklmnopqrstuvwxyz';
    expect(truncateStringLower(s)).toBe('abcdefghijklmnop');
    expect(truncateStringUpper(s)).toBe('abcdefghijklmnoq');
    expect(truncateStringUpper('short')).toBe('short');
    // a code point at the top of the BMP range before surrogates skips them
    expect(truncateStringUpper(`${'a'.repeat(15)}\ud7ffzz`)).toBe(`${'a'.repeat(15)}\ue000`);
    // the max code point carries into the previous one
    expect(truncateStringUpper(`${'a'.repeat(15)}\u{10ffff}zz`)).toBe(`${'a'.repeat(14)}b`);
    expect(truncateStringUpper('\u{10ffff}'.repeat(17))).toBeNull();
    // emoji count as one code point each, never split
    expect(Array.from(truncateStringLower('😀'.repeat(20)))).toHaveLength(16);
  });

  it('orders strings by code point, as UTF-8 bytes do', () => {
    expect(compareCodePoints('\u{1F600}', '\uFFFF')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
  });
});

describe('lossless JSON', () => {
  it('keeps 63-bit ids exact and leaves small numbers and strings alone', () => {
    const text = '{"id": 9223372036854775807, "n": 5, "s": "snap-9223372036854775807-1.avro", "neg": -9007199254740993, "f": 1.5}';
    const v = parseLosslessJson(text) as Record<string, unknown>;
    expect(v.id).toBe(9223372036854775807n);
    expect(v.n).toBe(5);
    expect(v.s).toBe('snap-9223372036854775807-1.avro');
    expect(v.neg).toBe(-9007199254740993n);
    expect(stringifyLosslessJson({ id: 9223372036854775807n, s: 'x' })).toBe('{"id":9223372036854775807,"s":"x"}');
  });
});

describe('partition transform day(timestamp)', () => {
  it('floors toward minus infinity, like Java', () => {
    expect(dayOf(0n)).toBe(0);
    expect(dayOf(-1n)).toBe(-1);
    expect(dayOf(86_400_000_000n - 1n)).toBe(0);
    expect(dayOf(1704164645123456n)).toBe(19724);
    expect(dayOf(-(2n ** 62n))).toBe(Number(-(2n ** 62n) / 86_400_000_000n) - 1);
    expect(dayToIso(19724)).toBe('2024-01-02');
    expect(partitionPath({ timestamp_day: 19724, exchange: 'A/B' })).toBe('timestamp_day=2024-01-02/exchange=A%2FB');
  });
});

describe('DuckDB statistics text', () => {
  it('parses TIMESTAMPTZ text to exact micros', () => {
    expect(parseDuckDbTimestamp('2024-01-02 03:04:05.123456+00')).toBe(1704164645123456n);
    expect(parseDuckDbTimestamp('2024-01-02 03:04:05+00')).toBe(1704164645000000n);
    expect(parseDuckDbTimestamp('2024-01-02 13:04:05.5+10')).toBe(1704164645500000n);
  });
});

describe('k2 compact option values', () => {
  it('parses sizes and cut-offs, and names the flag when they are bad', () => {
    expect(parseSize('128MB')).toBe(128 * 1024 * 1024);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('4096')).toBe(4096);
    expect(() => parseSize('big')).toThrow(ConfigError);
    expect(parseCutoff('7d', 1_000_000_000_000)).toBe(1_000_000_000_000 - 7 * 86_400_000);
    expect(parseCutoff('2024-01-02T00:00:00Z', 0)).toBe(Date.UTC(2024, 0, 2));
    expect(parseCutoff('2024-01-02', 0)).toBe(Date.UTC(2024, 0, 2));
    expect(() => parseCutoff('yesterday', 0)).toThrow(/--expire-older-than/);
    // an age no Date can hold names the flag instead of failing later with "Invalid time value"
    expect(() => parseCutoff('99999999999999999999999w', Date.now())).toThrow(/invalid --expire-older-than/);
    expect(parseCutoff('1000w', 1_000_000_000_000)).toBe(1_000_000_000_000 - 1000 * 604_800_000);
  });
});
