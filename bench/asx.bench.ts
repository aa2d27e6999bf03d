/**
 * ASX conversion throughput: parse + convert + Avro encode (v2Type('trades').toBuffer)
 * of raw headerless BHP trades, with Lee-Ready against the same day's quotes, beside a
 * floor measured in the same run: plain line/comma split + avsc encode of one prebuilt
 * record per row. Goal: >= 0.5x the floor.
 * Also (no goal, for docs/decisions.md): the same conversion with csv-parse as the splitter.
 */
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { readAsxFile, type AsxInputFile } from '../src/sources/asx/asx-file-reader.js';
import { QuoteMidIndexBuilder } from '../src/sources/asx/quote-mid-index.js';
import { RawTradeConverter } from '../src/sources/asx/raw-row-converters.js';
import { SideClassifier } from '../src/sources/asx/side-classifier.js';
import { SydneyClock } from '../src/sources/asx/sydney-time.js';
import type { TradeV2 } from '../src/model/trade.js';
import { v2Type } from '../src/schema/v2-schemas.js';
import type { BenchSuite } from './lib/result.js';
import { throughputResult } from './lib/result.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/asx/', import.meta.url));

async function quoteIndex(clock: SydneyClock): Promise<SideClassifier> {
  const mids = new QuoteMidIndexBuilder();
  const path = join(FIXTURES, 'quotes', '7078.csv');
  const input: AsxInputFile = { path, format: 'raw_quotes', identity: { companyId: '7078', symbol: 'BHP' }, bytes: 0 };
  for await (const b of readAsxFile(input, { clock, sides: new SideClassifier(null), companyIdOfSymbol: () => '7078' })) {
    for (const q of b.quotes) mids.add(q.symbol, Number(q.timestamp), q.bid_price, q.ask_price);
  }
  return new SideClassifier(mids.build());
}

const suite: BenchSuite = async ({ quick, workDir, log }) => {
  const day = readFileSync(join(FIXTURES, 'trades', '7078.csv'), 'utf8');
  const copies = quick ? 3 : 30; // 17,000 rows each
  const path = join(workDir, '7078.csv');
  // Each copy on its own trading day (from 2014-01-02), as in a file of many days: the same
  // day repeated would make every trade 30 identical fills, which ids from content number apart.
  const dates = Array.from({ length: copies }, (_, i) => {
    const d = new Date(Date.UTC(2014, 0, 2 + i));
    return `${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/${d.getUTCFullYear()}`;
  });
  writeFileSync(path, dates.map((date) => day.replaceAll('03/10/2014,', `${date},`)).join(''));
  const rows = 17_000 * copies;
  const type = v2Type('trades');
  const clock = new SydneyClock();
  const rounds = quick ? 2 : 3;

  // Floor: split + encode a prebuilt record per row.
  const prebuilt: TradeV2 = {
    message_id: '9f1e6d02-5c95-8f58-99b3-9fe6adc3a104',
    trade_id: 'ASX-7078-20140310-12345',
    symbol: 'BHP',
    exchange: 'ASX',
    asset_class: 'equities',
    timestamp: 1394410001395000n,
    price: 3676000000n,
    quantity: 35800000000n,
    currency: 'AUD',
    side: 'BUY',
    trade_conditions: ['0'],
    source_sequence: null,
    ingestion_timestamp: 1700000000000000n,
    platform_sequence: null,
    vendor_data: { company_id: '7078', qualifiers: '0', side_method: 'lee_ready' },
  };
  const floorRun = (): number => {
    const t0 = performance.now();
    const text = readFileSync(path, 'utf8');
    let bytes = 0;
    let n = 0;
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      const f = line.split(',');
      if (f.length > 0) n++;
      bytes += type.toBuffer(prebuilt).length;
    }
    if (n !== rows || bytes === 0) throw new Error(`floor read ${n} rows, expected ${rows}`);
    return rows / ((performance.now() - t0) / 1000);
  };

  const k2Run = async (): Promise<number> => {
    const sides = await quoteIndex(clock);
    const input: AsxInputFile = { path, format: 'raw_trades', identity: { companyId: '7078', symbol: 'BHP' }, bytes: 0 };
    const t0 = performance.now();
    let n = 0;
    let bytes = 0;
    for await (const b of readAsxFile(input, { clock, sides, companyIdOfSymbol: () => '7078' })) {
      if (b.rejected.length > 0) throw new Error(`rejected: ${b.rejected[0]!.reason}`);
      for (const t of b.trades) bytes += type.toBuffer(t).length;
      n += b.trades.length;
    }
    if (n !== rows || bytes === 0) throw new Error(`k2 converted ${n} rows, expected ${rows}`);
    return rows / ((performance.now() - t0) / 1000);
  };

  const csvParseRun = async (): Promise<number> => {
    const sides = await quoteIndex(clock);
    const conv = new RawTradeConverter({ companyId: '7078', symbol: 'BHP' }, clock, sides);
    const t0 = performance.now();
    let n = 0;
    let bytes = 0;
    const ingestion = 1700000000000000n;
    await new Promise<void>((resolve, reject) => {
      createReadStream(path, { highWaterMark: 1 << 20 })
        .pipe(parse({ relax_column_count: true }))
        .on('data', (fields: string[]) => {
          bytes += type.toBuffer(conv.convert(fields, ingestion)).length;
          n++;
        })
        .on('end', resolve)
        .on('error', reject);
    });
    if (n !== rows || bytes === 0) throw new Error(`csv-parse converted ${n} rows, expected ${rows}`);
    return rows / ((performance.now() - t0) / 1000);
  };

  // Warm up, then interleave rounds and keep the best of each (least disturbed by GC/JIT).
  floorRun();
  await k2Run();
  let floor = 0;
  let k2 = 0;
  let viaCsvParse = 0;
  for (let i = 0; i < rounds; i++) {
    floor = Math.max(floor, floorRun());
    k2 = Math.max(k2, await k2Run());
    viaCsvParse = Math.max(viaCsvParse, await csvParseRun());
  }
  log(`asx: ${rows} rows; floor ${Math.round(floor)} rows/s, k2 ${Math.round(k2)} rows/s, via csv-parse ${Math.round(viaCsvParse)} rows/s`);
  return [
    throughputResult('ASX parse+convert+Avro encode (trades, Lee-Ready)', k2, 'rows/s', floor, 0.5),
    throughputResult('ASX same, csv-parse as splitter (info)', viaCsvParse, 'rows/s', floor, null),
  ];
};

export default suite;
