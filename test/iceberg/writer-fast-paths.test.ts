/**
 * The writer's fast paths, checked exactly through DuckDB:
 *  - rows that arrive already in sort order are written in arrival order without a sort;
 *    rows out of order (within one symbol, or across symbols) are still sorted;
 *  - vendor_data maps are dictionary-coded per batch when a batch has few distinct maps
 *    (null maps, empty maps and odd keys included), and as JSON text written from the arena when many;
 *  - typed-array staging: nulls in optional int64 columns, and out-of-range decimals refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { tempDir } from '../support/tmp.js';
import { canonRowsOf, openDuckDb, sorted, tradeCanon } from './helpers.js';
import { BASE_MICROS, sampleTrades } from './sample-records.js';

/** One ASX day of `n` trades of `symbols`, in (symbol, timestamp) order, 3 distinct vendor_data maps. */
function sortedDay(n: number, tag: string, symbols = ['BHP']): TradeV2[] {
  const per = Math.ceil(n / symbols.length);
  return sampleTrades(n, { days: 1, exchanges: ['ASX'] }).map((t, i) => ({
    ...t,
    message_id: `${tag}-${i}`,
    trade_id: `${tag}-${i}`,
    symbol: symbols[Math.floor(i / per)]!,
    timestamp: BASE_MICROS + BigInt(i % per) * 1000n,
    vendor_data: i % 10 === 0 ? null : { company_id: '7078', qualifiers: String(i % 3), side_method: 'tick_test' },
  }));
}

describe('writer fast paths', () => {
  const tmp = tempDir('k2-iceberg-fast-');
  const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
  let duck: Awaited<ReturnType<typeof openDuckDb>>;
  let writer: IcebergTableWriter<TradeV2>;
  const written: TradeV2[] = [];

  beforeAll(async () => {
    duck = await openDuckDb();
    writer = await IcebergTableWriter.open(catalog, TRADES_TABLE);
  });
  afterAll(async () => {
    await writer.close();
    duck.close();
    tmp.cleanup();
  });

  /** Appends, then returns the message ids of the new data file(s) in file order. */
  async function appendAndReadOrder(batch: TradeV2[]): Promise<string[]> {
    const before = new Set(((await IcebergTableReader.open(catalog, 'trades_v2'))?.dataFiles() ?? []).map((f) => f.path));
    await writer.append(batch);
    written.push(...batch);
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const files = reader.dataFiles().filter((f) => !before.has(f.path));
    expect(sorted(await canonRowsOf(duck.conn, reader.dataFiles().map((f) => f.path)))).toEqual(sorted(written.map(tradeCanon)));
    const ids: string[] = [];
    for (const f of files) {
      const r = await duck.conn.runAndReadAll(`SELECT message_id FROM read_parquet('${f.path}')`);
      ids.push(...r.getRows().map((row) => String(row[0])));
    }
    return ids;
  }

  it('keeps pre-sorted rows in order (several chunks, several symbols) and sorts the rest', async () => {
    const inOrder = sortedDay(5000, 'a', ['ANZ', 'BHP', 'CBA']);
    expect(await appendAndReadOrder(inOrder)).toEqual(inOrder.map((t) => t.message_id));

    // the same day's rows reversed within a symbol, and symbols out of order
    const reversed = sortedDay(5000, 'b', ['ANZ', 'BHP', 'CBA']).reverse();
    const expected = [...reversed].sort((x, y) => (x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : x.timestamp < y.timestamp ? -1 : 1));
    expect(await appendAndReadOrder(reversed)).toEqual(expected.map((t) => t.message_id));

    // one symbol's timestamps going backwards once
    const oneSwap = sortedDay(3000, 'c');
    [oneSwap[2000], oneSwap[2001]] = [oneSwap[2001]!, oneSwap[2000]!];
    const swapped = await appendAndReadOrder(oneSwap);
    expect(swapped).toEqual(sortedDay(3000, 'c').map((t) => t.message_id));
  });

  it('many distinct maps travel as JSON text (empty maps, empty values, non-ASCII, quotes, control characters, several shapes)', async () => {
    const shapes = (i: number): Record<string, string> | null => {
      switch (i % 6) {
        case 0:
          return null;
        case 1:
          return {};
        case 2:
          return { event_time: String(1_700_000_000_000 + i), empty: '' };
        case 3:
          return { only: '' };
        case 4:
          return { '': `v${i}`, 'é': '\u{1d518}', z: 'a,b', q: 'say "hi" \\ \n\t\u0001' };
        default:
          return { event_time: String(i), trade_time: String(i + 1), is_best_match: 'true' };
      }
    };
    await appendAndReadOrder(sortedDay(3000, 'm').map((t, i) => ({ ...t, vendor_data: shapes(i) })));
    const withSeparator = sortedDay(1500, 'n').map((t, i) => ({ ...t, vendor_data: i === 700 ? { a: 'x\u001ey', b: 'z\u001f' } : shapes(i) }));
    await appendAndReadOrder(withSeparator);
  });

  it('packed message and trade ids keep non-ASCII text exactly, across chunks', async () => {
    // the packed columns travel as one UTF-8 value per 2,048-row chunk, split back in SQL
    const rows = sortedDay(4500, 'u').map((t, i) => ({
      ...t,
      message_id: `u-${i}-é-日本-\u{1d518}`,
      trade_id: i % 7 === 0 ? `u-${i}-ü` : `u-${i}`,
    }));
    const ids = await appendAndReadOrder(rows);
    expect(ids).toEqual(rows.map((r) => r.message_id));
  });

  it('dictionary-codes few distinct maps and falls back to JSON text for many, with the same values', async () => {
    const few = sortedDay(3000, 'd').map((t, i) => ({
      ...t,
      vendor_data: i === 1 ? {} : i === 2 ? { "it's": 'a "map"', 'k\u0000': '\u00e9\u{1d518}' } : t.vendor_data,
    }));
    await appendAndReadOrder(few);
    const many = sortedDay(3000, 'e').map((t, i) => ({ ...t, vendor_data: i % 7 === 0 ? null : { raw_id: String(i), venue: 'X' } }));
    await appendAndReadOrder(many);
  });

  it('writes nulls in optional int64 columns and refuses a decimal beyond 18 digits, naming the column', async () => {
    const rows = sortedDay(2100, 'f').map((t, i) => ({ ...t, source_sequence: i % 3 === 0 ? null : BigInt(i), platform_sequence: i === 2099 ? null : -BigInt(i) }));
    await appendAndReadOrder(rows);
    const bad = sortedDay(10, 'g').map((t, i) => (i === 4 ? { ...t, quantity: 10n ** 18n } : t));
    await expect(writer.append(bad)).rejects.toThrow(/quantity value 1000000000000000000 is out of range for decimal\(18, 8\)/);
    // still usable afterwards
    await appendAndReadOrder(sortedDay(10, 'h'));
  });
});
