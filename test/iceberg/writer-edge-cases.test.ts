/**
 * Writer edge cases, checked exactly through DuckDB: strings that contain the packing
 * separator (the per-value fallback), empty strings, non-BMP text, single-row batches,
 * empty batches (a snapshot that only records properties), and decimal extremes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { MAX_UNSCALED } from '../../src/model/decimal.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { tempDir } from '../support/tmp.js';
import { canonRowsOf, openDuckDb, sorted, tradeCanon } from './helpers.js';
import { sampleTrades } from './sample-records.js';

describe('writer edge cases', () => {
  const tmp = tempDir('k2-iceberg-edge-');
  const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
  let duck: Awaited<ReturnType<typeof openDuckDb>>;
  let writer: IcebergTableWriter<TradeV2>;

  beforeAll(async () => {
    duck = await openDuckDb();
    writer = await IcebergTableWriter.open(catalog, TRADES_TABLE);
  });
  afterAll(async () => {
    await writer.close();
    duck.close();
    tmp.cleanup();
  });

  async function appendAndCheck(batch: TradeV2[], all: TradeV2[]): Promise<void> {
    await writer.append(batch);
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    expect(sorted(await canonRowsOf(duck.conn, reader.dataFiles().map((f) => f.path)))).toEqual(sorted(all.map(tradeCanon)));
  }

  it('writes odd strings and decimal extremes exactly, in both staging paths', async () => {
    const base = sampleTrades(40);
    const odd: TradeV2[] = base.map((t, i) => ({
      ...t,
      trade_id: i === 0 ? 'has\u001fseparator' : i === 1 ? '' : i === 2 ? '𝔘𝔫𝔦𝔠𝔬𝔡𝔢-Ω' : t.trade_id,
      message_id: i === 3 ? "quote'in\"g" : t.message_id,
      price: i === 4 ? MAX_UNSCALED : i === 5 ? -MAX_UNSCALED : i === 6 ? 0n : t.price,
      trade_conditions: i === 7 ? [''] : i === 8 ? ['a,b', '[x]'] : t.trade_conditions,
      vendor_data: i === 9 ? {} : i === 10 ? { 'k\u001f': 'v\n"x"', '': '' } : t.vendor_data,
    }));
    // first batch: a value contains U+001F -> per-value path; second: packed path
    await appendAndCheck(odd, odd);
    const clean = odd.slice(1).map((t, i) => ({ ...t, trade_id: `${t.trade_id}#2`, message_id: `m-${i}` }));
    await appendAndCheck(clean, [...odd, ...clean]);
    const single = [{ ...base[0]!, trade_id: 'single', message_id: 'single' }];
    await appendAndCheck(single, [...odd, ...clean, ...single]);
  });

  it('an empty batch still commits a snapshot with the properties', async () => {
    const r = await writer.append([], { properties: { 'k2.offsets': '{"t":{"0":"99"}}' } });
    expect(r.addedDataFiles).toBe(0);
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    expect(reader.currentSnapshot()!.snapshotId).toBe(r.snapshotId);
    expect(reader.currentSnapshot()!.summary['k2.offsets']).toBe('{"t":{"0":"99"}}');
    expect(reader.currentSnapshot()!.summary['total-records']).toBe(String(40 + 39 + 1));
  });
});

describe('writer input checks', () => {
  it('refuses a record whose required column is missing, naming the column and row, and stays usable', async () => {
    const tmp = tempDir('k2-iceberg-bad-');
    const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
    const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
    try {
      const rows = sampleTrades(5);
      const bad = rows.map((t, i) => (i === 3 ? ({ ...t, symbol: null } as unknown as TradeV2) : t));
      await expect(w.append(bad)).rejects.toThrow(/required column symbol is null/);
      expect(await IcebergTableReader.open(catalog, 'trades_v2')).toBeNull();
      await w.append(rows);
      const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
      expect(reader.dataFiles().reduce((a, f) => a + f.recordCount, 0n)).toBe(5n);
    } finally {
      await w.close();
      tmp.cleanup();
    }
  });
});
