import { describe, expect, it } from 'vitest';
import {
  assertFits,
  bytesToUnscaled,
  formatScaled,
  formatScaledFixed,
  formatUnscaled,
  MAX_UNSCALED,
  multiplyToString,
  parseScaled,
  unscaledToBytes,
} from '../../src/model/decimal.js';
import { DecimalError } from '../../src/model/errors.js';

describe('parseScaled: exact decimal(18,8) as bigint units of 1e-8', () => {
  it('parses the accepted forms exactly', () => {
    const cases: Array<[string, bigint]> = [
      ['1', 100_000_000n],
      ['-1.5', -150_000_000n],
      ['0.00000001', 1n],
      ['9999999999.99999999', MAX_UNSCALED],
      ['-9999999999.99999999', -MAX_UNSCALED],
      ['42156.12345678', 4_215_612_345_678n],
      ['.5', 50_000_000n],
      ['5.', 500_000_000n],
      ['+2', 200_000_000n],
      ['  3.25 ', 325_000_000n],
      ['0.10000000000', 10_000_000n], // trailing zeros past the scale are exact
      ['1e-8', 1n],
      ['1.5E2', 15_000_000_000n],
      ['000123.4', 12_340_000_000n],
      ['-0', 0n],
    ];
    for (const [text, v] of cases) expect(parseScaled(text), text).toBe(v);
  });

  it('refuses, never rounds: too many places, too many digits, not a number', () => {
    for (const text of ['0.000000001', '1.123456789', '10000000000', '99999999999.9', '1e-9', '', '.', '-', 'abc', '1,5', '1.2.3', 'NaN', 'Infinity', '1e', '1e400']) {
      let err: unknown;
      try {
        parseScaled(text, { field: 'price' });
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(DecimalError);
      expect((err as DecimalError).context.field).toBe('price');
      expect((err as DecimalError).context.value).toBe(text);
    }
  });

  it('checks the (18,8) range of computed values', () => {
    expect(assertFits(MAX_UNSCALED)).toBe(MAX_UNSCALED);
    expect(() => assertFits(MAX_UNSCALED + 1n)).toThrow(DecimalError);
    expect(() => assertFits(-MAX_UNSCALED - 1n)).toThrow(/does not fit decimal\(18,8\)/);
  });
});

describe('formatting', () => {
  it('prints the shortest exact string and the full-scale string', () => {
    expect(formatScaled(150_000_000n)).toBe('1.5');
    expect(formatScaled(200_000_000n)).toBe('2');
    expect(formatScaled(1_000_000_000n)).toBe('10');
    expect(formatScaled(0n)).toBe('0');
    expect(formatScaled(1n)).toBe('0.00000001');
    expect(formatScaled(-1n)).toBe('-0.00000001');
    expect(formatScaled(-150_000_000n)).toBe('-1.5');
    expect(formatScaled(MAX_UNSCALED)).toBe('9999999999.99999999');
    expect(formatScaledFixed(150_000_000n)).toBe('1.50000000');
    expect(formatScaledFixed(-1n)).toBe('-0.00000001');
    expect(formatScaledFixed(0n)).toBe('0.00000000');
  });

  it('round-trips parse and format for many values', () => {
    for (const s of ['0.1', '123.456', '-0.5', '9999999999.99999999', '42156.12345678', '0.00000001', '100']) {
      expect(formatScaled(parseScaled(s))).toBe(s);
    }
  });

  it('multiplies exactly at scale 16 and formats any scale', () => {
    expect(multiplyToString(parseScaled('36.667'), parseScaled('20000'))).toBe('733340');
    expect(multiplyToString(parseScaled('0.00000001'), parseScaled('0.00000001'))).toBe('0.0000000000000001');
    expect(multiplyToString(MAX_UNSCALED, MAX_UNSCALED)).toBe('99999999999999999800.0000000000000001'); // Python decimal
    expect(multiplyToString(parseScaled('-1.5'), parseScaled('2'))).toBe('-3');
    expect(formatUnscaled(-5n, 2)).toBe('-0.05');
    expect(formatUnscaled(0n, 16)).toBe('0');
    expect(formatUnscaled(12_300n, 2)).toBe('123');
  });
});

describe('unscaledToBytes / bytesToUnscaled: minimal two\'s complement, big-endian', () => {
  it('matches known encodings', () => {
    expect([...unscaledToBytes(0n)]).toEqual([0]);
    expect([...unscaledToBytes(127n)]).toEqual([0x7f]);
    expect([...unscaledToBytes(128n)]).toEqual([0x00, 0x80]);
    expect([...unscaledToBytes(-128n)]).toEqual([0x80]);
    expect([...unscaledToBytes(-129n)]).toEqual([0xff, 0x7f]);
    expect([...unscaledToBytes(-150_000_000n)]).toEqual([0xf7, 0x0f, 0x2e, 0x80]);
    expect(unscaledToBytes(MAX_UNSCALED).length).toBe(8);
  });

  it('round-trips', () => {
    for (const v of [0n, 1n, -1n, 255n, 256n, -256n, MAX_UNSCALED, -MAX_UNSCALED, 2n ** 63n - 1n, -(2n ** 63n)]) {
      expect(bytesToUnscaled(unscaledToBytes(v)), String(v)).toBe(v);
    }
    expect(bytesToUnscaled(new Uint8Array())).toBe(0n);
  });
});
