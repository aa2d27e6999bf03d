import { describe, expect, it } from 'vitest';
import { parseScaled } from '../../src/model/decimal.js';
import { fastScaled, scaledField } from '../../src/sources/binance/decimal-field.js';
import { BinanceMessageError } from '../../src/sources/binance/errors.js';

describe('fastScaled', () => {
  it('agrees with parseScaled on every string it accepts, and declines other shapes', () => {
    const samples = [
      '0.00000001', '1.00000000', '67412.01000000', '9999999999.99999999', '0000000000.00000000', '12.3', '1', '-1.50000000',
      '1e-8', '1.000000001', '99999999999.00000000', '.12345678', '1.2345678a', '١.00000000', ' 1.00000000', '1.00000000 ',
    ];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const int = String(seed % 10 ** ((seed % 10) + 1));
      samples.push(`${int}.${String(seed % 10 ** 8).padStart(8, '0')}`);
    }
    let accepted = 0;
    for (const s of samples) {
      const fast = fastScaled(s);
      if (fast === null) continue;
      accepted++;
      expect(fast, s).toBe(parseScaled(s));
    }
    expect(accepted).toBeGreaterThan(2000);
    for (const s of ['12.3', '1', '-1.50000000', '1e-8', '99999999999.00000000', '.12345678', '1.2345678a', ' 1.00000000']) {
      expect(fastScaled(s), s).toBeNull();
    }
  });

  it('scaledField falls back to parseScaled and names the field on error', () => {
    expect(scaledField('1.5', 'p', 'BTCUSDT')).toBe(150_000_000n);
    expect(scaledField('1e-8', 'p', 'BTCUSDT')).toBe(1n);
    expect(() => scaledField('1.000000001', 'q', 'BTCUSDT')).toThrow(BinanceMessageError);
    try {
      scaledField('abc', 'q', 'BTCUSDT');
    } catch (err) {
      expect((err as BinanceMessageError).errorType).toBe('invalid_decimal');
      expect((err as BinanceMessageError).context).toMatchObject({ field: 'q', symbol: 'BTCUSDT', value: 'abc' });
    }
  });
});
