/** `k2 compact` end to end through the real CLI. */
import { afterAll, describe, expect, it } from 'vitest';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter } from '../../src/iceberg/table-writer.js';
import { runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { sampleTrades } from './sample-records.js';

describe('k2 compact', () => {
  const tmp = tempDir('k2-iceberg-cli-');
  afterAll(() => tmp.cleanup());

  it('compacts, expires and prints JSON', async () => {
    const catalog = new FilesystemCatalog(`${tmp.path}/warehouse`);
    const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
    for (let b = 0; b < 3; b++) await w.append(sampleTrades(100, { start: b * 100, days: 1, exchanges: ['ASX'] }));
    await w.close();
    const r = await runK2(['--data-dir', tmp.path, '--json', 'compact', '--table', 'trades_v2', '--target-file-size', '64MB', '--expire-older-than', '0s']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(out[0]).toMatchObject({ table: 'trades_v2', action: 'rewrite', partition: '2014-03-10/ASX', files_before: 3, files_after: 1, rows: '300' });
    expect(out[1]).toMatchObject({ table: 'trades_v2', action: 'expire', expired_snapshots: 3, deleted_files: 9 });
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    expect(reader.snapshots()).toHaveLength(1);
    expect(reader.currentSnapshot()!.operation).toBe('replace');
    expect(reader.dataFiles()).toHaveLength(1);
  });

  it('lists the rewritten partitions in order, whatever order the table lists them in', async () => {
    const dir = tempDir('k2-iceberg-cli-order-');
    try {
      const catalog = new FilesystemCatalog(`${dir.path}/warehouse`);
      const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
      const DAY = 86_400_000_000n;
      // two small files per day, appended out of day order
      for (let rep = 0; rep < 2; rep++) {
        for (const d of [0, 2, 1]) {
          const recs = sampleTrades(30, { start: (rep * 3 + d) * 30, days: 1, exchanges: ['ASX'] }).map((r) => ({ ...r, timestamp: r.timestamp + BigInt(d) * DAY }));
          await w.append(recs);
        }
      }
      await w.close();
      const r = await runK2(['--data-dir', dir.path, '--json', 'compact', '--table', 'trades_v2']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { action: string; partition: string }[];
      const partitions = out.filter((row) => row.action === 'rewrite').map((row) => row.partition);
      expect(partitions).toEqual(['2014-03-10/ASX', '2014-03-11/ASX', '2014-03-12/ASX']);
    } finally {
      dir.cleanup();
    }
  });

  it('rejects a bad size with a clear message and exit code 2', async () => {
    const r = await runK2(['--data-dir', tmp.path, 'compact', '--target-file-size', 'huge']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--target-file-size');
  });
});
