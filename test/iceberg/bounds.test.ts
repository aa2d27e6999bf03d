/**
 * Partition values and column bounds in the manifests agree with the data: exact
 * min/max for short strings, timestamps and decimals; truncated-but-covering bounds
 * for long strings; and the manifest list's partition summaries cover every file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { readManifestList } from '../../src/iceberg/manifest-list.js';
import { decodeInt, decodeString } from '../../src/iceberg/single-value.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { parseScaled } from '../../src/model/decimal.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { tempDir } from '../support/tmp.js';
import { openDuckDb } from './helpers.js';
import { sampleTrades } from './sample-records.js';

describe('partitions and bounds', () => {
  const tmp = tempDir('k2-iceberg-bounds-');
  const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
  let duck: Awaited<ReturnType<typeof openDuckDb>>;
  const trades: TradeV2[] = sampleTrades(4000, { days: 4, exchanges: ['ASX', 'BINANCE', 'CHI-X'] });
  // Pre-epoch, negative-price-free extremes and a long symbol that must be truncated.
  trades.push({ ...trades[0]!, trade_id: 'EDGE-1', timestamp: -1n, symbol: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-LONG', price: 1n, exchange: 'ASX' });
  trades.push({ ...trades[1]!, trade_id: 'EDGE-2', timestamp: -86_400_000_000n, symbol: 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ-LONG', price: 999_999_999_999_999_999n, exchange: 'ASX' });

  beforeAll(async () => {
    duck = await openDuckDb();
    const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
    await w.append(trades);
    await w.close();
  });
  afterAll(() => {
    duck.close();
    tmp.cleanup();
  });

  it('writes one file per (day, exchange) with the right partition values', async () => {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const files = reader.dataFiles();
    const expected = new Set(trades.map((t) => `${Math.floor(Number(t.timestamp) / 86_400_000_000)}|${t.exchange}`));
    expect(new Set(files.map((f) => `${f.partition.day}|${f.partition.exchange}`))).toEqual(expected);
    expect(files).toHaveLength(expected.size);
    expect(files.some((f) => f.partition.day === -1)).toBe(true);
    expect(files.reduce((a, f) => a + f.recordCount, 0n)).toBe(BigInt(trades.length));
  });

  it('column bounds match the data in every file', async () => {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    for (const f of reader.dataFiles()) {
      const r = await duck.conn.runAndReadAll(
        `SELECT min(symbol) AS smin, max(symbol) AS smax, min(epoch_us("timestamp"))::VARCHAR AS tmin, max(epoch_us("timestamp"))::VARCHAR AS tmax,
                min(price)::VARCHAR AS pmin, max(price)::VARCHAR AS pmax, count(*) - count(source_sequence) AS nulls, count(*) AS n
           FROM read_parquet('${f.path}')`,
      );
      const s = r.getRowObjectsJson()[0] as Record<string, string>;
      const sym = f.bounds.symbol!;
      if (s.smin!.length <= 16) expect(sym.lower).toBe(s.smin);
      else expect(sym.lower).toBe(s.smin!.slice(0, 16));
      if (s.smax!.length <= 16) expect(sym.upper).toBe(s.smax);
      else expect((sym.upper as string) > s.smax!).toBe(true);
      expect(f.bounds.timestamp).toEqual({ lower: BigInt(s.tmin!), upper: BigInt(s.tmax!) });
      expect(f.bounds.price).toEqual({ lower: parseScaled(s.pmin!), upper: parseScaled(s.pmax!) });
      expect(f.nullCounts.source_sequence).toBe(BigInt(s.nulls!));
      expect(f.recordCount).toBe(BigInt(s.n!));
      expect(f.bounds.trade_conditions).toBeUndefined();
    }
  });

  it('manifest-list partition summaries cover every file of the manifest', async () => {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const [m] = readManifestList(reader.currentSnapshot()!.manifestList);
    const files = reader.dataFiles();
    const days = files.map((f) => f.partition.day!);
    const exchanges = files.map((f) => f.partition.exchange!).sort();
    expect(decodeInt(m!.partitions![0]!.lowerBound!)).toBe(Math.min(...days));
    expect(decodeInt(m!.partitions![0]!.upperBound!)).toBe(Math.max(...days));
    expect(decodeString(m!.partitions![1]!.lowerBound!)).toBe(exchanges[0]);
    expect(decodeString(m!.partitions![1]!.upperBound!)).toBe(exchanges[exchanges.length - 1]);
    expect(m!.addedFilesCount).toBe(files.length);
    expect(m!.addedRowsCount).toBe(BigInt(trades.length));
  });
});
