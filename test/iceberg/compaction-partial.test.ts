/**
 * A replace that touches part of a manifest: the other partition's file stays live
 * as EXISTING with its original snapshot id and sequence numbers; a small target
 * size splits a partition into several sorted files without losing a row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { compactTable } from '../../src/iceberg/compaction.js';
import { STATUS_DELETED, STATUS_EXISTING } from '../../src/iceberg/data-file.js';
import { readManifestList } from '../../src/iceberg/manifest-list.js';
import { readManifest } from '../../src/iceberg/manifest.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { tempDir } from '../support/tmp.js';
import { canonRowsOf, openDuckDb, sorted, tradeCanon } from './helpers.js';
import { sampleTrades } from './sample-records.js';

describe('partial compaction', () => {
  const tmp = tempDir('k2-iceberg-partial-');
  const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
  let duck: Awaited<ReturnType<typeof openDuckDb>>;
  const first = [...sampleTrades(2000, { start: 0, days: 1, exchanges: ['ASX'] }), ...sampleTrades(100, { start: 50_000, days: 1, exchanges: ['BINANCE'] })];
  const more = Array.from({ length: 3 }, (_, b) => sampleTrades(2000, { start: 10_000 + b * 2000, days: 1, exchanges: ['ASX'] }));

  beforeAll(async () => {
    duck = await openDuckDb();
    const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
    await w.append(first);
    for (const b of more) await w.append(b);
    await w.close();
  });
  afterAll(() => {
    duck.close();
    tmp.cleanup();
  });

  it('keeps the untouched partition as EXISTING and splits by target size', async () => {
    const reader0 = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const binanceBefore = reader0.dataFiles().find((f) => f.partition.exchange === 'BINANCE')!;
    const asxBytes = reader0.dataFiles().filter((f) => f.partition.exchange === 'ASX').reduce((a, f) => a + Number(f.fileSizeInBytes), 0);
    // A target of a third of the ASX bytes: the 4 ASX files become about 3 files.
    const r = await compactTable(catalog, TRADES_TABLE, { targetFileSizeBytes: Math.ceil(asxBytes / 3) + 1 });
    expect(r.deletedFiles).toBe(4);
    expect(r.addedFiles).toBeGreaterThanOrEqual(2);
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    const entries = readManifestList(reader.currentSnapshot()!.manifestList).flatMap((m) => readManifest(m));
    const existing = entries.filter((e) => e.status === STATUS_EXISTING);
    expect(existing).toHaveLength(1);
    expect(existing[0]!.dataFile.filePath).toBe(binanceBefore.uri);
    expect(existing[0]!.sequenceNumber).toBe(1n);
    expect(existing[0]!.fileSequenceNumber).toBe(1n);
    expect(existing[0]!.snapshotId).toBe(reader.ancestry().at(-1)!.snapshotId);
    expect(entries.filter((e) => e.status === STATUS_DELETED)).toHaveLength(4);
    const actual = await canonRowsOf(duck.conn, reader.dataFiles().map((f) => f.path));
    expect(sorted(actual)).toEqual(sorted([...first, ...more.flat()].map(tradeCanon)));
    expect(reader.dataFiles().filter((f) => f.partition.exchange === 'ASX').length).toBe(r.addedFiles);
  });
});
