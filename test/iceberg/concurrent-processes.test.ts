/**
 * Two separate OS processes append to the same table at once (filesystem and
 * PostgreSQL catalogs): the table ends with every row exactly once.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { testPostgresUrl } from '../support/postgres.js';
import { REPO_ROOT } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { canonRowsOf, openDuckDb, sorted, tradeCanon } from './helpers.js';
import { sampleTrades } from './sample-records.js';

const CHILD = fileURLToPath(new URL('./append-child.ts', import.meta.url));
const BATCHES = 5;
const ROWS = 150;

function runChild(spec: string, warehouse: string, writerNo: number): Promise<{ retried: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, spec, warehouse, String(writerNo), String(BATCHES), String(ROWS)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as { retried: number }) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

async function expectAllRows(spec: string | undefined, warehouse: string): Promise<void> {
  const catalog = openCatalog(spec, warehouse);
  const duck = await openDuckDb();
  try {
    const reader = (await IcebergTableReader.open(catalog, 'trades_v2'))!;
    expect(reader.ancestry()).toHaveLength(2 * BATCHES);
    const rows = await canonRowsOf(duck.conn, reader.dataFiles().map((f) => f.path));
    expect(sorted(rows)).toEqual(sorted(sampleTrades(2 * BATCHES * ROWS).map(tradeCanon)));
  } finally {
    duck.close();
    await catalog.close();
  }
}

describe('concurrent writer processes', () => {
  const tmp = tempDir('k2-iceberg-procs-');
  afterAll(() => tmp.cleanup());

  it('filesystem catalog', async () => {
    const wh = `${tmp.path}/fs`;
    await Promise.all([runChild('fs', wh, 0), runChild('fs', wh, 1)]);
    await expectAllRows(undefined, wh);
  });

  const pgUrl = testPostgresUrl();
  it.skipIf(pgUrl === undefined)('PostgreSQL catalog', async () => {
    const u = new URL(pgUrl!);
    u.searchParams.set('catalog_name', `procs_${Date.now()}`);
    const wh = `${tmp.path}/pg`;
    await Promise.all([runChild(u.toString(), wh, 0), runChild(u.toString(), wh, 1)]);
    await expectAllRows(u.toString(), wh);
  });
});
