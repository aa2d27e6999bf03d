/**
 * Write with k2's writer, read back with independent readers: icebird 0.3.1 (its
 * own Avro and Parquet code, through a file:// fetch shim) for the table structure
 * and rows, and DuckDB read_parquet for exact decimals and the Parquet schema.
 */
import { readFileSync } from 'node:fs';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatScaled } from '../../src/model/decimal.js';
import { decodeAvroContainer } from '../../src/iceberg/avro-container.js';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { uriToPath } from '../../src/iceberg/paths.js';
import { QUOTES_TABLE, TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { parseTableMetadata } from '../../src/iceberg/table-metadata.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { tempDir } from '../support/tmp.js';
import { installFileFetch } from './file-fetch.js';
import { QUOTE_CANON_COLUMNS, canonRowsOf, openDuckDb, quoteCanon, sorted, tradeCanon } from './helpers.js';
import { sampleQuotes, sampleTrades } from './sample-records.js';

/** icebird divides the unscaled value by 10^8 in floating point: equal to within a few ulps. */
function expectSameFloat(actual: number, scaled: bigint): void {
  const expected = Number(formatScaled(scaled));
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * 4 * Number.EPSILON);
}

describe('Iceberg round trip (filesystem catalog)', () => {
  const tmp = tempDir('k2-iceberg-rt-');
  const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
  const batch1 = sampleTrades(3000, { start: 0, days: 3 });
  const batch2 = sampleTrades(2000, { start: 3000, days: 3 });
  const quotes = sampleQuotes(1500);
  let restoreFetch: () => void;
  let duck: Awaited<ReturnType<typeof openDuckDb>>;

  beforeAll(async () => {
    restoreFetch = installFileFetch();
    duck = await openDuckDb();
    const trades = await IcebergTableWriter.open(catalog, TRADES_TABLE);
    await trades.append(batch1, { properties: { 'k2.offsets': '{"market.crypto.trades.binance":{"0":"3000"}}' } });
    await trades.append(batch2, { properties: { 'k2.offsets': '{"market.crypto.trades.binance":{"0":"5000"}}' } });
    await trades.close();
    const q = await IcebergTableWriter.open(catalog, QUOTES_TABLE);
    await q.append(quotes);
    await q.close();
  });

  afterAll(() => {
    restoreFetch();
    duck.close();
    tmp.cleanup();
  });

  it('icebird reads every trade back with the same values', async () => {
    const tableUrl = `file://${tmp.path}/warehouse/market_data/trades_v2`;
    const rows = (await icebergRead({ tableUrl })) as Record<string, unknown>[];
    expect(rows).toHaveLength(5000);
    const byId = new Map([...batch1, ...batch2].map((t) => [t.trade_id, t]));
    for (const r of rows) {
      const t = byId.get(r.trade_id as string);
      expect(t, `trade ${String(r.trade_id)}`).toBeDefined();
      expect(r.message_id).toBe(t!.message_id);
      expect(r.symbol).toBe(t!.symbol);
      expect(r.exchange).toBe(t!.exchange);
      expect(r.side).toBe(t!.side);
      expect(r.asset_class).toBe(t!.asset_class);
      expect(r.trade_conditions).toEqual(t!.trade_conditions);
      // icebird turns timestamps into Dates (ms) and decimals into numbers: compare at that precision here,
      // exactly through DuckDB below.
      expect((r.timestamp as Date).getTime()).toBe(Number(t!.timestamp / 1000n));
      expectSameFloat(r.price as number, t!.price);
      expectSameFloat(r.quantity as number, t!.quantity);
      expect(r.source_sequence ?? null).toEqual(t!.source_sequence);
      expect(r.platform_sequence ?? null).toEqual(t!.platform_sequence);
      byId.delete(r.trade_id as string);
    }
    expect(byId.size).toBe(0);
  });

  it('the data files hold exactly the written rows, decimals and micros included (DuckDB)', async () => {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const files = reader.dataFiles();
    const actual = await canonRowsOf(duck.conn, files.map((f) => f.path));
    expect(sorted(actual)).toEqual(sorted([...batch1, ...batch2].map(tradeCanon)));
  });

  it('quotes round-trip exactly, null book sides included', async () => {
    const reader = (await IcebergTableReader.open(catalog, 'quotes_v2'))!;
    const actual = await canonRowsOf(duck.conn, reader.dataFiles().map((f) => f.path), QUOTE_CANON_COLUMNS);
    expect(sorted(actual)).toEqual(sorted(quotes.map(quoteCanon)));
    const rows = (await icebergRead({ tableUrl: `file://${tmp.path}/warehouse/market_data/quotes_v2` })) as Record<string, unknown>[];
    expect(rows).toHaveLength(quotes.length);
    expect(rows.filter((r) => r.bid_price === null || r.bid_price === undefined)).toHaveLength(quotes.filter((q) => q.bid_price === null).length);
  });

  it('Parquet files carry the Iceberg field ids and the spec physical types', async () => {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const file = reader.dataFiles()[0]!.path;
    const r = await duck.conn.runAndReadAll(`SELECT name, type, converted_type, scale, precision, field_id, logical_type FROM parquet_schema('${file}')`);
    const byName = new Map(r.getRowObjectsJson().map((x) => [String(x.name), x]));
    const ids: Record<string, number> = {};
    for (const c of TRADES_TABLE.columns) ids[c.name] = c.id;
    for (const [name, id] of Object.entries(ids)) expect(Number(byName.get(name)?.field_id), name).toBe(id);
    expect(Number(byName.get('element')?.field_id)).toBe(16);
    expect(Number(byName.get('key')?.field_id)).toBe(17);
    expect(Number(byName.get('value')?.field_id)).toBe(18);
    expect(byName.get('price')).toMatchObject({ type: 'INT64', converted_type: 'DECIMAL', scale: '8', precision: '18' });
    expect(byName.get('timestamp')).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MICROS' });
    expect(String(byName.get('timestamp')?.logical_type)).toContain('isAdjustedToUTC=1');
    expect(byName.get('symbol')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
  });

  it('rows inside each data file are sorted by (symbol, timestamp) and stay in one partition', async () => {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    for (const f of reader.dataFiles()) {
      const r = await duck.conn.runAndReadAll(`SELECT symbol, epoch_us("timestamp")::VARCHAR AS ts, exchange, (epoch_us("timestamp") // 86400000000)::INTEGER AS day FROM read_parquet('${f.path}')`);
      const rows = r.getRowObjectsJson() as { symbol: string; ts: string; exchange: string; day: number }[];
      for (let i = 1; i < rows.length; i++) {
        const a = rows[i - 1]!;
        const b = rows[i]!;
        expect(a.symbol < b.symbol || (a.symbol === b.symbol && BigInt(a.ts) <= BigInt(b.ts)), `row ${i} of ${f.path}`).toBe(true);
      }
      expect(new Set(rows.map((x) => `${x.exchange}|${x.day}`))).toEqual(new Set([`${f.partition.exchange}|${f.partition.day}`]));
    }
  });

  it('metadata JSON is format v2 with refs.main, logs, sequence numbers and string summaries', () => {
    const reader = (async () => (await IcebergTableReader.open(catalog, 'trades_v2'))!)();
    return reader.then((rd) => {
      const text = readFileSync(uriToPath(rd.metadataLocation), 'utf8');
      const m = parseTableMetadata(text);
      expect(m['format-version']).toBe(2);
      expect(m.snapshots).toHaveLength(2);
      const [s1, s2] = m.snapshots;
      expect(s1!['sequence-number']).toBe(1n);
      expect(s2!['sequence-number']).toBe(2n);
      expect(m['last-sequence-number']).toBe(2n);
      expect(s1!['parent-snapshot-id']).toBeUndefined();
      expect(s2!['parent-snapshot-id']).toBe(s1!['snapshot-id']);
      expect(m['current-snapshot-id']).toBe(s2!['snapshot-id']);
      expect(m.refs.main).toEqual({ 'snapshot-id': s2!['snapshot-id'], type: 'branch' });
      expect(m['snapshot-log'].map((e) => e['snapshot-id'])).toEqual([s1!['snapshot-id'], s2!['snapshot-id']]);
      expect(m['metadata-log'].map((e) => e['metadata-file'].split('/').pop())).toEqual(['v1.metadata.json', 'v2.metadata.json']);
      expect(m['last-column-id']).toBe(18);
      expect(m['last-partition-id']).toBe(1001);
      expect(s2!.summary).toMatchObject({ operation: 'append', 'added-records': '2000', 'total-records': '5000' });
      for (const v of Object.values(s2!.summary)) expect(typeof v).toBe('string');
      // the raw text keeps the 63-bit ids exact and has no v1-only keys
      expect(text).toContain(`"current-snapshot-id": ${s2!['snapshot-id']}`);
      expect(text).not.toMatch(/"partition-spec":|"schema":/);
      expect(readFileSync(`${tmp.path}/warehouse/market_data/trades_v2/metadata/version-hint.text`, 'utf8')).toBe('3');
      expect(rd.latestSnapshotProperty('k2.offsets')).toBe('{"market.crypto.trades.binance":{"0":"5000"}}');
    });
  });

  it('manifests and manifest lists carry the spec field ids and header keys', async () => {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const snap = reader.currentSnapshot()!;
    const list = decodeAvroContainer(readFileSync(uriToPath(snap.manifestList)));
    expect(list.metadata).toMatchObject({ 'format-version': '2', 'snapshot-id': snap.snapshotId.toString(), 'sequence-number': '2', 'parent-snapshot-id': snap.parentSnapshotId!.toString() });
    expect(list.metadata['avro.schema']).toContain('"field-id":500');
    expect(list.metadata['avro.schema']).toContain('"element-id":508');
    expect(list.records).toHaveLength(2);
    const manifestPath = (list.records[0] as { manifest_path: string }).manifest_path;
    const manifest = decodeAvroContainer(readFileSync(uriToPath(manifestPath)));
    expect(manifest.metadata).toMatchObject({ 'format-version': '2', content: 'data', 'partition-spec-id': '0', 'schema-id': '0' });
    expect(JSON.parse(manifest.metadata['partition-spec']!)).toEqual(TRADES_TABLE.spec.fields);
    expect(JSON.parse(manifest.metadata.schema!)).toMatchObject({ type: 'struct', 'schema-id': 0 });
    const schema = manifest.metadata['avro.schema']!;
    for (const id of [0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 108, 117, 118, 125, 126, 127, 128, 134, 140, 1000, 1001]) expect(schema).toContain(`"field-id":${id}`);
    expect(schema).toContain('"logicalType":"map"');
    expect(schema).not.toContain('block_size_in_bytes');
  });
});
