/**
 * The real ASX fixtures (BHP, March 10-14, 2014), converted by k2's ASX loader and
 * committed by k2's Iceberg writer: summaries and daily bars match a brute-force
 * reference computed here straight from the CSV (Sydney local dates and times).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScaled } from '../../src/model/decimal.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { IcebergDataFileSource } from '../../src/query/iceberg-data-file-source.js';
import { barsQuerySchema, parseQuery, summaryQuerySchema } from '../../src/query/query-params.js';
import { QueryService } from '../../src/query/query-service.js';
import { planAsxLoad, runAsxLoad } from '../../src/sources/asx/asx-load.js';
import { DeadLetterFile } from '../../src/sources/asx/dead-letter.js';
import { REPO_ROOT } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { icebergFixture, type IcebergFixture } from './support/iceberg-fixture.js';
import { fmt8 } from './support/synthetic-trades.js';

const BHP_TRADES = join(REPO_ROOT, 'fixtures/asx/trades/7078.csv');

interface CsvTrade {
  date: string;
  micros: bigint;
  price: bigint;
  volume: bigint;
}

/** The fixture read independently of the loader: MM/DD/YYYY, Sydney local time, price, volume. */
function readCsv(path: string): CsvTrade[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [d, t, p, v] = line.split(',');
      const [mm, dd, yyyy] = d!.split('/');
      const date = `${yyyy}-${mm}-${dd}`;
      const local = DateTime.fromISO(`${date}T${t}`, { zone: 'Australia/Sydney' });
      return { date, micros: BigInt(local.toMillis()) * 1000n, price: parseScaled(p!), volume: parseScaled(v!) };
    });
}

function reference(rows: CsvTrade[]) {
  const minTs = rows.reduce((m, r) => (r.micros < m ? r.micros : m), rows[0]!.micros);
  const maxTs = rows.reduce((m, r) => (r.micros > m ? r.micros : m), rows[0]!.micros);
  const volume = rows.reduce((a, r) => a + r.volume, 0n);
  const notional16 = rows.reduce((a, r) => a + r.price * r.volume, 0n);
  let vwap = notional16 / volume;
  const rem = notional16 % volume;
  if (2n * rem > volume || (2n * rem === volume && vwap % 2n !== 0n)) vwap += 1n;
  return {
    openCandidates: new Set(rows.filter((r) => r.micros === minTs).map((r) => fmt8(r.price))),
    closeCandidates: new Set(rows.filter((r) => r.micros === maxTs).map((r) => fmt8(r.price))),
    high: fmt8(rows.reduce((m, r) => (r.price > m ? r.price : m), rows[0]!.price)),
    low: fmt8(rows.reduce((m, r) => (r.price < m ? r.price : m), rows[0]!.price)),
    volume: fmt8(volume),
    trade_count: String(rows.length),
    notional16,
    vwap: fmt8(vwap),
  };
}

describe('queries over the real ASX fixtures', () => {
  const tmp = tempDir('k2-asx-query-');
  let fx: IcebergFixture;
  let service: QueryService;
  let csv: CsvTrade[];

  beforeAll(async () => {
    fx = await icebergFixture(tmp.path);
    const loaded: TradeV2[] = [];
    const plan = planAsxLoad([BHP_TRADES]);
    const result = await runAsxLoad(plan, {
      deadLetter: new DeadLetterFile(tmp.path),
      sink: {
        send: async (kind, records) => {
          if (kind === 'trades') loaded.push(...(records as TradeV2[]));
        },
      },
    });
    expect(result.deadLetterPath).toBeNull();
    await fx.appendTrades(loaded);
    csv = readCsv(BHP_TRADES);
    expect(loaded.length).toBe(csv.length);
    service = new QueryService({ files: new IcebergDataFileSource(fx.catalog) });
  }, 180_000);

  afterAll(async () => {
    await fx?.close();
    tmp.cleanup();
  });

  it('summarises BHP on its ASX trading date 2014-03-10 exactly', async () => {
    const r = await service.summary(parseQuery(summaryQuerySchema, { symbol: 'BHP', date: '2014-03-10' }));
    const row = r.rows[0]!;
    const ref = reference(csv.filter((c) => c.date === '2014-03-10'));
    expect(row.exchange).toBe('ASX');
    expect(row.session_start).toBe('2014-03-09T13:00:00.000000Z');
    expect(ref.openCandidates.has(String(row.open))).toBe(true);
    expect(ref.closeCandidates.has(String(row.close))).toBe(true);
    expect({ high: row.high, low: row.low, volume: row.volume, trade_count: row.trade_count, vwap: row.vwap }).toEqual({
      high: ref.high,
      low: ref.low,
      volume: ref.volume,
      trade_count: ref.trade_count,
      vwap: ref.vwap,
    });
    const [i, f = ''] = String(row.notional).split('.');
    expect(BigInt(`${i}${f.padEnd(16, '0')}`)).toBe(ref.notional16);
  });

  it('daily bars follow Sydney trading dates and match the CSV per day', async () => {
    const bars = await service.bars(parseQuery(barsQuerySchema, { symbol: 'BHP', interval: '1d' }));
    const dates = [...new Set(csv.map((c) => c.date))].sort();
    expect(bars.rows.map((b) => b.trading_date)).toEqual(dates);
    for (const b of bars.rows) {
      const ref = reference(csv.filter((c) => c.date === b.trading_date));
      expect([b.trading_date, b.trade_count, b.volume, b.high, b.low, b.vwap]).toEqual([b.trading_date, ref.trade_count, ref.volume, ref.high, ref.low, ref.vwap]);
    }
  });
});
