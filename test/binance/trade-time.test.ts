import { describe, expect, it } from 'vitest';
import { microsFromMillis } from '../../src/model/time.js';
import { millisText, tradeTimeMicros } from '../../src/sources/binance/mappers/trade-time.js';

describe('tradeTimeMicros', () => {
  it('equals microsFromMillis on both sides of the exact-double bound and on random times', () => {
    const bound = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
    const samples = [0, 1, 999, 1_718_035_200_121, bound - 1, bound, bound + 1, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER];
    let seed = 11;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      samples.push(seed * ((seed % 4_000_000) + 1));
    }
    for (const ms of samples) expect(tradeTimeMicros(ms), String(ms)).toBe(microsFromMillis(ms));
    expect(tradeTimeMicros(Number.MAX_SAFE_INTEGER)).toBe(9_007_199_254_740_991_000n);
  });
});

describe('millisText', () => {
  it('equals String(ms) on repeats, alternations and fresh values', () => {
    const seq = [0, 0, 1, 0, 1, 2, 1_718_035_200_121, 1_718_035_200_122, 1_718_035_200_121, 1_718_035_200_122, 3, 3, 2 ** 53 - 1, 0];
    let seed = 5;
    for (let i = 0; i < 3000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      seq.push(1_718_035_200_000 + (seed % 7));
    }
    for (const ms of seq) expect(millisText(ms)).toBe(String(ms));
  });
});
