import { describe, expect, it } from 'vitest';
import { parseScaled } from '../../src/model/decimal.js';
import { AsxRowError } from '../../src/sources/asx/asx-row-error.js';
import { parseDecimalField } from '../../src/sources/asx/decimal-field.js';

describe('parseDecimalField (fast path) agrees exactly with parseScaled', () => {
  it('on the forms ASX files use and around the fast-path limits', () => {
    const samples = [
      '0', '0.0', '36.667', '20000', '1.11', '0.00000001', '.5', '5.', '00012.3400', '90071991.99999999',
      '90071992', '90071992.5', '9999999999.99999999', '123456789.12345678', '1.100000000000', '1e-8', '-1.5',
    ];
    for (const s of samples) expect(parseDecimalField(s, 'Price'), s).toBe(parseScaled(s));
  });

  it('on random decimals with up to 8 places', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      const int = String(rand(10 ** (1 + rand(8))));
      const places = rand(9);
      const frac = Array.from({ length: places }, () => String(rand(10))).join('');
      const s = places > 0 ? `${int}.${frac}` : int;
      expect(parseDecimalField(s, 'Price'), s).toBe(parseScaled(s));
    }
  });

  it('rejects what does not fit decimal(18,8), naming the field, never rounding', () => {
    for (const s of ['1.123456789', '12345678901', '99999999999.5', 'abc', '', '1,5', '1.2.3', 'NaN']) {
      let err: unknown;
      try {
        parseDecimalField(s, 'Price');
      } catch (e) {
        err = e;
      }
      expect(err, s).toBeInstanceOf(AsxRowError);
      expect((err as AsxRowError).field).toBe('Price');
      expect((err as AsxRowError).message).toMatch(/^Price /);
    }
  });
});
