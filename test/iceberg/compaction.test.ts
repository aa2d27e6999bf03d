/**
 * Compaction keeps every row and commits a `replace` snapshot; time travel to the
 * snapshots before it still returns the older rows; expiry removes old snapshots
 * and only the files no retained snapshot needs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { compactTable } from '../../src/iceberg/compaction.js';
import { STATUS_DELETED, STATUS_EXISTING } from '../../src/iceberg/data-file.js';
import { expireSnapshots } from '../../src/iceberg/expire-snapshots.js';
import { readManifestList } from '../../src/iceberg/manifest-list.js';
import { readManifest } from '../../src/iceberg/manifest.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader, type SnapshotInfo } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { tempDir } from '../support/tmp.js';
import { installFileFetch } from './file-fetch.js';
import { canonRowsOf, openDuckDb, sorted, tradeCanon } from './helpers.js';
import { sampleTrades } from './sample-records.js';

describe('compaction, time travel and expiry', () => {
  const tmp = tempDir('k2-iceberg-compact-');
  const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
  let duck: Awaited<ReturnType<typeof openDuckDb>>;
  let restoreFetch: () => void;
  const batches = Array.from({ length: 6 }, (_, b) => sampleTrades(300, { start: b * 300, days: 1, exchanges: ['ASX', 'BINANCE'] }));
  const snapshots: SnapshotInfo[] = [];

  async function rowsAt(snapshot: SnapshotInfo | bigint | null): Promise<string[]> {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    return sorted(await canonRowsOf(duck.conn, reader.dataFiles(snapshot).map((f) => f.path)));
  }

  beforeAll(async () => {
    duck = await openDuckDb();
    restoreFetch = installFileFetch();
    const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
    for (const [i, b] of batches.entries()) {
      await w.append(b, { properties: { 'k2.offsets': JSON.stringify({ t: { 0: String((i + 1) * 300) } }) } });
      snapshots.push((await IcebergTableReader.open(catalog, 'trades_v2'))!.currentSnapshot()!);
    }
    await w.close();
  });
  afterAll(() => {
    restoreFetch();
    duck.close();
    tmp.cleanup();
  });

  it('time travel by snapshot id and by time returns the older rows', async () => {
    expect(await rowsAt(snapshots[1]!.snapshotId)).toEqual(sorted([...batches[0]!, ...batches[1]!].map(tradeCanon)));
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    expect(reader.snapshotAsOf(snapshots[2]!.timestampMs)!.snapshotId).toBe(snapshots[2]!.snapshotId);
    expect(reader.snapshotAsOf(snapshots[0]!.timestampMs - 1)).toBeNull();
    expect(reader.dataFiles(snapshots[0]!)).toHaveLength(2);
  });

  it('rewrites the 12 small files into one per partition with a replace snapshot, keeping every row', async () => {
    const before = await rowsAt((await IcebergTableReader.open(catalog, 'trades_v2'))!.currentSnapshot());
    expect(before).toHaveLength(1800);
    const r = await compactTable(catalog, TRADES_TABLE, { targetFileSizeBytes: 128 * 1024 * 1024 });
    expect(r.deletedFiles).toBe(12);
    expect(r.addedFiles).toBe(2);
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const current = reader.currentSnapshot()!;
    expect(current.snapshotId).toBe(r.snapshotId);
    expect(current.operation).toBe('replace');
    expect(current.summary).toMatchObject({ 'added-data-files': '2', 'deleted-data-files': '12', 'added-records': '1800', 'deleted-records': '1800', 'total-records': '1800', 'total-data-files': '2' });
    // k2.offsets is carried onto the replace snapshot, so the consumer finds it at the head.
    expect(current.summary['k2.offsets']).toBe(snapshots[5]!.summary['k2.offsets']);
    expect(await rowsAt(current)).toEqual(before);
    const files = reader.dataFiles();
    expect(files).toHaveLength(2);
    // compacted files are sorted too
    for (const f of files) {
      const rows = (await duck.conn.runAndReadAll(`SELECT symbol, epoch_us("timestamp") AS ts FROM read_parquet('${f.path}')`)).getRows();
      for (let i = 1; i < rows.length; i++) {
        const [s0, t0] = rows[i - 1] as [string, bigint];
        const [s1, t1] = rows[i] as [string, bigint];
        expect(s0 < s1 || (s0 === s1 && t0 <= t1)).toBe(true);
      }
    }
    // the manifests of the replace: the 12 old files as DELETED with their original sequence numbers
    const entries = readManifestList(current.manifestList).flatMap((m) => readManifest(m));
    const deleted = entries.filter((e) => e.status === STATUS_DELETED);
    expect(deleted).toHaveLength(12);
    expect(new Set(deleted.map((e) => e.sequenceNumber))).toEqual(new Set([1n, 2n, 3n, 4n, 5n, 6n]));
    expect(deleted.every((e) => e.snapshotId === current.snapshotId)).toBe(true);
    expect(entries.filter((e) => e.status === STATUS_EXISTING)).toHaveLength(0);
    // nothing left to do
    expect((await compactTable(catalog, TRADES_TABLE)).snapshotId).toBeNull();
  });

  it('icebird reads the compacted table (DELETED entries skipped)', async () => {
    const rows = (await icebergRead({ tableUrl: `file://${tmp.path}/warehouse/market_data/trades_v2` })) as { trade_id: string }[];
    expect(rows).toHaveLength(1800);
    expect(new Set(rows.map((r) => r.trade_id)).size).toBe(1800);
  });

  it('time travel to before the compaction still works, then expiry drops it and its files', async () => {
    expect(await rowsAt(snapshots[5]!.snapshotId)).toEqual(await rowsAt((await IcebergTableReader.open(catalog, 'trades_v2'))!.currentSnapshot()));
    const oldFiles = (await IcebergTableReader.open(catalog, 'trades_v2'))!.dataFiles(snapshots[5]!.snapshotId).map((f) => f.path);
    const r = await expireSnapshots(catalog, TRADES_TABLE, Date.now() + 1000, { retainLast: 1 });
    expect(r.expiredSnapshots).toHaveLength(6);
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    expect(reader.snapshots()).toHaveLength(1);
    expect(reader.currentSnapshot()!.parentSnapshotId).toBeNull();
    expect(reader.metadata['snapshot-log'].map((e) => e['snapshot-id'])).toEqual([reader.currentSnapshot()!.snapshotId]);
    for (const f of oldFiles) expect(existsSync(f)).toBe(false);
    for (const f of reader.dataFiles()) expect(existsSync(f.path)).toBe(true);
    expect(await rowsAt(reader.currentSnapshot())).toHaveLength(1800);
    expect(readFileSync(`${tmp.path}/warehouse/market_data/trades_v2/metadata/version-hint.text`, 'utf8')).toBe('9');
    // k2.offsets survives on the head snapshot
    expect(reader.latestSnapshotProperty('k2.offsets')).toBe(snapshots[5]!.summary['k2.offsets']);
  });
});
