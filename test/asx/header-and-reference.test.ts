import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { microsToIso } from '../../src/model/time.js';
import { DeadLetterFile, planAsxLoad, runAsxLoad } from '../../src/sources/asx/index.js';
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { tempDir } from '../support/tmp.js';
import { fixture, readAll, UUID_RE, writeText } from './asx-test-support.js';

describe('header CSVs (the older loader format)', () => {
  it('reads sample_asx_trades.csv: sides, ids, sequences and microsecond timestamps as given', async () => {
    const { trades, rejected, rowsRead } = await readAll(fixture('sample_asx_trades.csv'), 'header_trades', null);
    expect(rejected).toEqual([]);
    expect(rowsRead).toBe(10);
    expect(trades).toHaveLength(10);
    const t = trades[1]!; // BHP,2026-01-10T10:30:01.234567Z,45.51,2000,sell,12346,TRD002
    expect(t).toMatchObject({ symbol: 'BHP', trade_id: 'TRD002', side: 'SELL', source_sequence: 12346n, exchange: 'ASX', currency: 'AUD' });
    expect(microsToIso(t.timestamp)).toBe('2026-01-10T10:30:01.234567Z');
    expect(t.price).toBe(4_551_000_000n);
    expect(t.quantity).toBe(200_000_000_000n);
    expect(t.message_id).toMatch(UUID_RE);
    expect(t.vendor_data).toEqual({ side_method: 'source' });
    expect(trades.map((x) => x.side)).toEqual(['BUY', 'SELL', 'BUY', 'BUY', 'SELL', 'BUY', 'SELL', 'BUY', 'SELL', 'BUY']);
  });

  it('reads sample_asx_quotes.csv', async () => {
    const { quotes, rejected } = await readAll(fixture('sample_asx_quotes.csv'), 'header_quotes', null);
    expect(rejected).toEqual([]);
    expect(quotes).toHaveLength(10);
    const q: QuoteV2 = quotes[2]!; // RIO,2026-01-10T10:30:02.345678Z,120.20,120.30,500,1000,12347
    expect(q).toMatchObject({ symbol: 'RIO', bid_price: 12_020_000_000n, ask_price: 12_030_000_000n, bid_quantity: 50_000_000_000n, source_sequence: 12347n });
    // 10:30Z is 21:30 AEDT on the 10th in Sydney: 21:30:02.345678 in micros, then the content slot
    expect(q.quote_id).toMatch(/^ASX-RIO-20260110-Q77402345678\d{4}$/);
    expect(microsToIso(q.timestamp)).toBe('2026-01-10T10:30:02.345678Z');
  });

  it('rejects header rows with a wrong column count or bad timestamp, naming the line', async () => {
    const tmp = tempDir();
    try {
      const f = writeText(
        join(tmp.path, 'h.csv'),
        'symbol,exchange_timestamp,price,quantity,side\nBHP,2026-01-10T10:30:00Z,1,2,buy\nBHP,yesterday,1,2,buy\nBHP,2026-01-10T10:30:00Z,1,2\nBHP,2026-01-10T10:30:00Z,1,2,sideways\n',
      );
      const { trades, rejected } = await readAll(f, 'header_trades', null);
      expect(trades).toHaveLength(1);
      expect(rejected.map((r) => [r.line, r.field])).toEqual([
        [3, 'exchange_timestamp'],
        [4, null],
        [5, 'side'],
      ]);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses a second row with a trade_id given earlier in the file (the tables would drop it silently), and times past 2255', async () => {
    const tmp = tempDir();
    try {
      const f = writeText(
        join(tmp.path, 'h.csv'),
        [
          'symbol,exchange_timestamp,price,quantity,side,sequence_number,trade_id',
          'BHP,2026-01-10T10:30:00Z,45.50,1000,buy,1,T1',
          'BHP,2026-01-10T10:30:01Z,46.50,2000,sell,2,T1', // same id, another trade
          'CBA,2026-01-10T10:30:02Z,100,10,buy,3,T1', // same id, another symbol: a different key
          'BHP,2300-01-10T10:30:03Z,45.50,1,buy,4,T2',
          '',
        ].join('\n'),
      );
      const { trades, rejected } = await readAll(f, 'header_trades', null);
      expect(trades.map((t) => [t.symbol, t.trade_id])).toEqual([['BHP', 'T1'], ['CBA', 'T1']]);
      expect(rejected.map((r) => [r.line, r.field])).toEqual([
        [3, 'trade_id'],
        [5, 'exchange_timestamp'],
      ]);
      expect(rejected[0]!.reason).toMatch(/duplicate trade_id "T1" for BHP/);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('company id -> symbol', () => {
  const dirs: Array<{ cleanup: () => void }> = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.cleanup();
  });

  it('finds reference-data/company_info.csv beside the data, or takes --reference, or --symbol', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const lone = join(tmp.path, 'lone', '3153.csv');
    mkdirSync(join(tmp.path, 'lone'));
    copyFileSync(fixture('trades', '3153.csv'), lone);
    expect(() => planAsxLoad([lone])).toThrow(/cannot map company id 3153 to a symbol.*--reference <file> or --symbol <SYM>/);
    expect(planAsxLoad([lone], { reference: fixture('reference-data', 'company_info.csv') }).inputs[0]!.identity).toEqual({ companyId: '3153', symbol: 'MWR' });
    expect(planAsxLoad([lone], { symbol: 'mwr' }).inputs[0]!.identity).toEqual({ companyId: '3153', symbol: 'MWR' });
    expect(planAsxLoad([fixture('trades', '3153.csv')]).inputs[0]!.identity).toEqual({ companyId: '3153', symbol: 'MWR' });
    // company_info.csv in the same folder
    copyFileSync(fixture('reference-data', 'company_info.csv'), join(tmp.path, 'lone', 'company_info.csv'));
    expect(planAsxLoad([lone]).inputs[0]!.identity!.symbol).toBe('MWR');
    const unknown = join(tmp.path, 'lone', '1234.csv');
    copyFileSync(fixture('trades', '3153.csv'), unknown);
    expect(() => planAsxLoad([unknown])).toThrow(/company id 1234 is not in/);
    expect(() => planAsxLoad([lone, unknown], { symbol: 'MWR' })).toThrow(/--symbol applies to one company/);
    expect(() => planAsxLoad([join(tmp.path, 'nope.csv')])).toThrow(/no such file/);
  });

  it('gives a one-day slice of a file the same ids as the full file', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const full = await readAll(fixture('trades', '7181.csv'), 'raw_trades', { companyId: '7181', symbol: 'DVN' });
    const { readFileSync } = await import('node:fs');
    const dayRows = readFileSync(fixture('trades', '7181.csv'), 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.startsWith('03/12/2014,'));
    expect(dayRows.length).toBeGreaterThan(10);
    const slice = writeText(join(tmp.path, 'trades', '7181.csv'), `${dayRows.join('\r\n')}\r\n`);
    const part = await readAll(slice, 'raw_trades', { companyId: '7181', symbol: 'DVN' });
    const fromFull = full.trades.filter((t: TradeV2) => t.trade_id.startsWith('ASX-7181-20140312-'));
    expect(part.trades.map((t) => [t.trade_id, t.message_id])).toEqual(fromFull.map((t) => [t.trade_id, t.message_id]));
  });

  it('loads header files with company ids from the reference data in vendor_data', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const r = await runAsxLoad(planAsxLoad([fixture('sample_asx_trades.csv')], { reference: fixture('reference-data', 'company_info.csv') }), {
      deadLetter: new DeadLetterFile(tmp.path),
      sink: {
        send: (kind: 'trades' | 'quotes', recs: unknown[]) => {
          if (kind === 'trades') expect((recs as TradeV2[]).find((t) => t.symbol === 'BHP')!.vendor_data!.company_id).toBe('7078');
          return Promise.resolve();
        },
      },
    });
    expect(r.summary.toJSON().by_symbol.BHP).toMatchObject({ trades: 3, sum_quantity: '4500', sum_notional: '204755' });
  });
});
