/**
 * The hand-written fast checks must accept exactly what the zod contracts accept,
 * or zod would stop being the contract. Checked on the fixture payloads and on
 * every single-field mutation of them (delete, or replace with an odd value).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { isAggTradeEvent } from '../../src/sources/binance/mappers/agg-trade-mapper.js';
import { isBookTickerEvent } from '../../src/sources/binance/mappers/book-ticker-mapper.js';
import { isTradeEvent } from '../../src/sources/binance/mappers/trade-mapper.js';
import { aggTradeEventSchema, bookTickerEventSchema, tradeEventSchema } from '../../src/sources/binance/schemas.js';

type Data = Record<string, unknown>;
const lines = readFileSync(new URL('../../fixtures/binance/combined-frames.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .flatMap((l) => {
    try {
      const v = JSON.parse(l) as { stream?: string; data?: unknown };
      return typeof v.data === 'object' && v.data !== null ? [{ stream: v.stream ?? '', data: v.data as Data }] : [];
    } catch {
      return [];
    }
  });

const ODD_VALUES: unknown[] = [
  undefined, null, true, false, 0, -1, 1.5, 2 ** 53, Number.NaN, '', '1', 'x'.repeat(65), 'btcusdt', 'B', 'trade', 'aggTrade',
  'bookTicker', [], {}, 'BTCUSDT', 12,
];

function mutations(d: Data): Data[] {
  const out: Data[] = [d];
  for (const key of [...Object.keys(d), 'M', 'b', 'a', 'E', 'T', 'e']) {
    for (const v of ODD_VALUES) {
      const m = { ...d };
      if (v === undefined) delete m[key];
      else m[key] = v;
      out.push(m);
    }
  }
  return out;
}

const cases: [string, (d: Data) => boolean, z.ZodType][] = [
  ['trade', isTradeEvent, tradeEventSchema],
  ['aggTrade', isAggTradeEvent, aggTradeEventSchema],
  ['bookTicker', isBookTickerEvent, bookTickerEventSchema],
];

describe('fast checks agree with the zod schemas', () => {
  for (const [channel, fast, schema] of cases) {
    it(channel, () => {
      const payloads = lines.filter((l) => l.stream.endsWith(`@${channel}`)).flatMap((l) => mutations(l.data));
      expect(payloads.length).toBeGreaterThan(100);
      let accepted = 0;
      for (const p of payloads) {
        const z = schema.safeParse(p).success;
        if (fast(p) !== z) throw new Error(`disagree on ${JSON.stringify(p)}: fast=${fast(p)} zod=${z}`);
        if (z) accepted++;
      }
      // Both accept and reject happen, so the comparison is not vacuous.
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThan(payloads.length);
    });
  }
});
