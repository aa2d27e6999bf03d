/**
 * Exact counts and sums over the real fixture files, checked against values computed
 * here independently: decimal.js over the raw text, and luxon for the Sydney times.
 */
import { readFileSync } from 'node:fs';
import { Decimal } from 'decimal.js';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DeadLetterFile, planAsxLoad, runAsxLoad } from '../../src/sources/asx/index.js';
import { tempDir } from '../support/tmp.js';
import { fixture } from './asx-test-support.js';

interface Expected {
  trades: number;
  quotes: number;
  first_ts: string;
  last_ts: string;
  sum_quantity: string;
  sum_notional: string;
}

const rowsOf = (path: string): string[][] =>
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0)
    .map((l) => l.split(','));

/** Sydney local MM/DD/YYYY + HH:MM:SS.mmm to an ISO UTC string with micros, via luxon. */
const isoUtc = (date: string, time: string): string => {
  const dt = DateTime.fromFormat(`${date} ${time}`, 'MM/dd/yyyy HH:mm:ss.SSS', { zone: 'Australia/Sydney' });
  return `${dt.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}000Z`;
};

function expected(companyId: string): Expected {
  const trades = rowsOf(fixture('trades', `${companyId}.csv`));
  const quotes = rowsOf(fixture('quotes', `${companyId}.csv`));
  let q = new Decimal(0);
  let n = new Decimal(0);
  for (const r of trades) {
    q = q.plus(r[3]!);
    n = n.plus(new Decimal(r[2]!).times(r[3]!));
  }
  const times = [...trades, ...quotes].map((r) => isoUtc(r[0]!, r[1]!)).sort();
  return {
    trades: trades.length,
    quotes: quotes.length,
    first_ts: times[0]!,
    last_ts: times[times.length - 1]!,
    sum_quantity: q.toFixed(),
    sum_notional: n.toFixed(),
  };
}

describe('real ASX fixtures: exact row counts and sums', () => {
  it('matches the documented row counts of the fixture files', () => {
    expect(rowsOf(fixture('trades', '7181.csv'))).toHaveLength(232);
    expect(rowsOf(fixture('quotes', '7181.csv'))).toHaveLength(549);
    expect(rowsOf(fixture('trades', '3153.csv'))).toHaveLength(11);
    expect(rowsOf(fixture('quotes', '3153.csv'))).toHaveLength(60);
    expect(rowsOf(fixture('trades', '7078.csv'))).toHaveLength(17_000);
    expect(rowsOf(fixture('quotes', '7078.csv'))).toHaveLength(14_312);
  });

  it('loads BHP, DVN and MWR trades and quotes with exact totals per symbol', async () => {
    const tmp = tempDir();
    try {
      const files = ['7078', '7181', '3153'].flatMap((id) => [fixture('trades', `${id}.csv`), fixture('quotes', `${id}.csv`)]);
      const plan = planAsxLoad(files);
      const { summary, deadLetterPath, sideMethods } = await runAsxLoad(plan, { deadLetter: new DeadLetterFile(tmp.path) });
      const json = summary.toJSON();
      const total = 17_000 + 14_312 + 232 + 549 + 11 + 60;
      expect(json.files).toBe(6);
      expect(json.rows_read).toBe(total);
      expect(json.rows_valid).toBe(total);
      expect(json.rows_rejected).toBe(0);
      expect(deadLetterPath).toBeNull();
      expect(json.by_symbol).toEqual({ BHP: expected('7078'), DVN: expected('7181'), MWR: expected('3153') });
      // Lee-Ready had quotes for every trade file
      expect(sideMethods.lee_ready).toBeGreaterThan(15_000);
      expect(Object.values(sideMethods).reduce((a, b) => a + b, 0)).toBe(17_000 + 232 + 11);
    } finally {
      tmp.cleanup();
    }
  });

  it('pins the known BHP 03/10/2014 totals (so a shared mistake in both computations would show)', () => {
    const e = expected('7078');
    expect(e.trades).toBe(17_000);
    expect(e.first_ts).toBe('2014-03-09T18:43:45.676000Z'); // first quote, 05:43:45.676 AEDT
    expect(e.last_ts).toBe('2014-03-10T07:50:01.379000Z'); // last quote, 18:50:01.379 AEDT
    expect(e.sum_quantity).toBe('10053864'); // computed with Python's decimal module
    expect(e.sum_notional).toBe('367193671.42');
  });
});
