import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatScaled } from '../../src/model/decimal.js';
import { K2Error } from '../../src/model/errors.js';
import { microsToIso } from '../../src/model/time.js';
import { v2Type } from '../../src/schema/v2-schemas.js';
import { detectAsxFormat, readFirstLine } from '../../src/sources/asx/file-format.js';
import { fixture, readAll, UUID_RE } from './asx-test-support.js';

const MWR = { companyId: '3153', symbol: 'MWR' };
const BHP = { companyId: '7078', symbol: 'BHP' };

describe('raw ASX trades -> TradeV2', () => {
  it('maps every field of a real MWR row', async () => {
    const { trades, rejected } = await readAll(fixture('trades', '3153.csv'), 'raw_trades', MWR);
    expect(rejected).toEqual([]);
    expect(trades).toHaveLength(11);
    const t = trades[3]!; // 03/10/2014,13:57:21.230,1.1,5367,2,,
    expect(t.trade_id).toMatch(/^ASX-3153-20140310-50241230000\d{4}$/); // 13:57:21.230 in micros, then the content slot
    expect(t.message_id).toMatch(UUID_RE);
    expect(t.message_id[14]).toBe('8'); // UUID version 8
    expect(t.symbol).toBe('MWR');
    expect(t.exchange).toBe('ASX');
    expect(t.asset_class).toBe('equities');
    expect(t.currency).toBe('AUD');
    expect(microsToIso(t.timestamp)).toBe('2014-03-10T02:57:21.230000Z');
    expect(formatScaled(t.price)).toBe('1.1');
    expect(t.price).toBe(110_000_000n);
    expect(t.quantity).toBe(536_700_000_000n); // quantity = Volume, exact
    expect(t.trade_conditions).toEqual(['2']); // [Qualifiers]
    expect(t.source_sequence).toBeNull();
    expect(t.platform_sequence).toBeNull();
    expect(t.ingestion_timestamp).toBe(42n);
    // venue and buyer_id are empty in this row, so absent
    expect(t.vendor_data).toEqual({ company_id: '3153', qualifiers: '2', side_method: t.vendor_data!.side_method });
    // each local day is its own prefix
    expect(trades[4]!.trade_id).toMatch(/^ASX-3153-20140311-\d{12,15}$/);
    expect(trades[10]!.trade_id).toMatch(/^ASX-3153-20140313-\d{12,15}$/);
  });

  it('keeps venue and buyer_id when present, and every record encodes with the v2 Avro type', async () => {
    const { trades } = await readAll(fixture('trades', '7078.csv'), 'raw_trades', BHP);
    expect(trades).toHaveLength(17_000);
    const first = trades[0]!; // 03/10/2014,07:57:14.754,36.667,20000,3,X,
    expect(first.vendor_data).toMatchObject({ company_id: '7078', qualifiers: '3', venue: 'X' });
    expect(first.vendor_data).not.toHaveProperty('buyer_id');
    const lines = readFileSync(fixture('trades', '7078.csv'), 'utf8').split(/\r?\n/);
    const withBuyer = lines.findIndex((l) => l.length > 0 && l.split(',')[6] !== '');
    expect(withBuyer).toBeGreaterThan(0);
    expect(trades[withBuyer]!.vendor_data!.buyer_id).toBe(lines[withBuyer]!.split(',')[6]);
    const type = v2Type('trades');
    for (const t of trades) expect(type.isValid(t), t.trade_id).toBe(true);
    const decoded = type.fromBuffer(type.toBuffer(trades[withBuyer]));
    expect(decoded).toEqual(trades[withBuyer]);
  });

  it('makes ids unique and deterministic: loading twice gives the same trade_id and message_id', async () => {
    const a = await readAll(fixture('trades', '7078.csv'), 'raw_trades', BHP);
    const b = await readAll(fixture('trades', '7078.csv'), 'raw_trades', BHP);
    expect(new Set(a.trades.map((t) => t.trade_id)).size).toBe(a.trades.length);
    expect(new Set(a.trades.map((t) => t.message_id)).size).toBe(a.trades.length);
    expect(b.trades.map((t) => t.trade_id)).toEqual(a.trades.map((t) => t.trade_id));
    expect(b.trades.map((t) => t.message_id)).toEqual(a.trades.map((t) => t.message_id));
    // and distinct from the quote ids of the same company-day
    const q = await readAll(fixture('quotes', '7078.csv'), 'raw_quotes', BHP);
    const tradeUuids = new Set(a.trades.map((t) => t.message_id));
    expect(q.quotes.some((x) => tradeUuids.has(x.message_id))).toBe(false);
  });
});

describe('raw ASX quotes -> QuoteV2', () => {
  it('maps absent sides (0 / 0.0) to null, never 0, and keeps crossed pre-open quotes as they are', async () => {
    const { quotes, rejected } = await readAll(fixture('quotes', '3153.csv'), 'raw_quotes', MWR);
    expect(rejected).toEqual([]);
    expect(quotes).toHaveLength(60);
    const q0 = quotes[0]!; // 03/10/2014,05:46:13.604,1.11,0.0,10300,0
    expect(q0.quote_id).toMatch(/^ASX-3153-20140310-Q20773604000\d{4}$/);
    expect(q0.message_id).toMatch(UUID_RE);
    expect(microsToIso(q0.timestamp)).toBe('2014-03-09T18:46:13.604000Z');
    expect(q0.bid_price).toBe(111_000_000n);
    expect(q0.bid_quantity).toBe(1_030_000_000_000n);
    expect(q0.ask_price).toBeNull();
    expect(q0.ask_quantity).toBeNull();
    expect(q0).toMatchObject({ symbol: 'MWR', exchange: 'ASX', asset_class: 'equities', currency: 'AUD', source_sequence: null });
    expect(q0.vendor_data).toEqual({ company_id: '3153' });
    const q1 = quotes[1]!; // 03/10/2014,05:46:13.604,1.11,1.18,10300,3667
    expect(q1.ask_price).toBe(118_000_000n);
    expect(q1.ask_quantity).toBe(366_700_000_000n);
    const type = v2Type('quotes');
    expect(type.fromBuffer(type.toBuffer(q0))).toEqual(q0);
  });

  it('counts every absent side of the real BHP day exactly', async () => {
    const text = readFileSync(fixture('quotes', '7078.csv'), 'utf8');
    const rows = text.split(/\r?\n/).filter((l) => l.length > 0).map((l) => l.split(','));
    const isZero = (s: string): boolean => /^0+(\.0*)?$/.test(s);
    const { quotes } = await readAll(fixture('quotes', '7078.csv'), 'raw_quotes', BHP);
    expect(quotes).toHaveLength(rows.length);
    expect(quotes.filter((q) => q.bid_price === null).length).toBe(rows.filter((r) => isZero(r[2]!)).length);
    expect(quotes.filter((q) => q.ask_price === null).length).toBe(rows.filter((r) => isZero(r[3]!)).length);
    expect(quotes.filter((q) => q.ask_price === null).length).toBeGreaterThan(0);
    expect(quotes.some((q) => q.bid_price === 0n || q.ask_price === 0n)).toBe(false);
    const crossed = rows.filter((r) => !isZero(r[2]!) && !isZero(r[3]!) && Number(r[2]) > Number(r[3])).length;
    expect(quotes.filter((q) => q.bid_price !== null && q.ask_price !== null && q.bid_price > q.ask_price).length).toBe(crossed);
    expect(crossed).toBeGreaterThan(0);
  });
});

describe('file format detection', () => {
  it('detects raw files by folder, by column count, and header CSVs by their header', () => {
    expect(detectAsxFormat(fixture('trades', '7078.csv'), readFirstLine(fixture('trades', '7078.csv')))).toBe('raw_trades');
    expect(detectAsxFormat(fixture('quotes', '7078.csv'), readFirstLine(fixture('quotes', '7078.csv')))).toBe('raw_quotes');
    expect(detectAsxFormat('/x/7078.csv', '03/10/2014,07:57:14.754,36.667,20000,3,X,\r')).toBe('raw_trades');
    expect(detectAsxFormat('/x/7078.csv', '03/10/2014,05:43:45.676,37.7,0.0,300,0\r')).toBe('raw_quotes');
    expect(detectAsxFormat(fixture('sample_asx_trades.csv'), readFirstLine(fixture('sample_asx_trades.csv')))).toBe('header_trades');
    expect(detectAsxFormat(fixture('sample_asx_quotes.csv'), readFirstLine(fixture('sample_asx_quotes.csv')))).toBe('header_quotes');
    // a raw row with every field quoted is a row, not a header
    expect(detectAsxFormat('/x/7078.csv', '"03/10/2014","07:57:14.754","36.667","20000","3","X",""')).toBe('raw_trades');
    expect(detectAsxFormat('/x/7078.csv', ' "03/10/2014","05:43:45.676","37.7","0.0","300","0"')).toBe('raw_quotes');
    expect(detectAsxFormat('/x/t.csv', '"symbol","exchange_timestamp","price","quantity"')).toBe('header_trades');
  });

  it('refuses a header that names a column twice, naming the file, line and columns', () => {
    let err: unknown = null;
    try {
      detectAsxFormat('/x/t.csv', 'symbol,exchange_timestamp,price,quantity,Price');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(K2Error);
    expect((err as K2Error).describe()).toBe('column price appears twice in the header (columns 3 and 5) (file=/x/t.csv, line=1)');
  });

  it('refuses reference data and unknown shapes with a clear error', () => {
    const ref = fixture('reference-data', 'company_info.csv');
    expect(() => detectAsxFormat(ref, readFirstLine(ref))).toThrow(/pass it with --reference/);
    expect(() => detectAsxFormat(fixture('sample_asx_reference.csv'), readFirstLine(fixture('sample_asx_reference.csv')))).toThrow(
      /--reference/,
    );
    expect(() => detectAsxFormat('/x/1.csv', 'a,b,c')).toThrow(/unrecognised ASX CSV header/);
    expect(() => detectAsxFormat('/x/1.csv', '03/10/2014,1,2,3')).toThrow(/cannot tell trades from quotes: first row has 4 columns/);
  });
});
