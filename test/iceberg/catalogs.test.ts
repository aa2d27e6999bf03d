/**
 * Catalog commit semantics, deterministically: a commit on a stale base loses with
 * CommitConflictError (exclusive create / compare-and-swap), and the writer's retry
 * re-applies the append onto the new base so nothing is lost.
 */
import { existsSync, rmSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/iceberg/catalog/catalog.js';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { PostgresCatalog } from '../../src/iceberg/catalog/postgres-catalog.js';
import { loadOrCreateTable } from '../../src/iceberg/commit.js';
import { CommitConflictError } from '../../src/iceberg/errors.js';
import { TRADES_TABLE } from '../../src/iceberg/table-definitions.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { IcebergTableWriter, commitAppend } from '../../src/iceberg/table-writer.js';
import { ConfigError } from '../../src/model/errors.js';
import { testPostgresUrl } from '../support/postgres.js';
import { tempDir } from '../support/tmp.js';
import { sampleTrades } from './sample-records.js';

const tmp = tempDir('k2-iceberg-cat-');
afterAll(() => tmp.cleanup());

async function staleBaseLoses(catalog: Catalog, other: Catalog): Promise<void> {
  const base = await loadOrCreateTable(catalog, TRADES_TABLE);
  const staleCopy = await other.loadTable({ namespace: 'market_data', name: 'trades_v2' });
  expect(staleCopy!.metadataLocation).toBe(base.metadataLocation);
  const changed = { ...base.metadata, properties: { ...base.metadata.properties, 'k2.test': 'a' } };
  await catalog.commitTable(base, changed);
  await expect(other.commitTable(staleCopy!, { ...staleCopy!.metadata, properties: { 'k2.test': 'b' } })).rejects.toBeInstanceOf(CommitConflictError);
  const now = await other.loadTable({ namespace: 'market_data', name: 'trades_v2' });
  expect(now!.metadata.properties['k2.test']).toBe('a');
}

/** An append whose first attempt is built on a base another writer has already replaced. */
async function appendRetriesOntoNewBase(catalog: Catalog, other: Catalog): Promise<void> {
  const w = await IcebergTableWriter.open(catalog, TRADES_TABLE);
  const w2 = await IcebergTableWriter.open(other, TRADES_TABLE);
  try {
    const ours = await w.writeDataFiles(sampleTrades(50, { start: 0 }));
    // Interleave: the other writer commits between our load and our swap, by wrapping commitTable once.
    const original = catalog.commitTable.bind(catalog);
    let intercepted = false;
    catalog.commitTable = async (base, updated) => {
      if (!intercepted) {
        intercepted = true;
        await w2.append(sampleTrades(30, { start: 1000 }), { properties: { 'k2.offsets': '{"t":{"0":"30"}}' } });
      }
      return original(base, updated);
    };
    const r = await commitAppend(catalog, TRADES_TABLE, ours, {
      properties: (base) => ({ 'k2.offsets': `merged-onto-${base['last-sequence-number']}` }),
    });
    catalog.commitTable = original;
    expect(r.attempts).toBe(2);
    const reader = (await IcebergTableReader.open(other, 'trades_v2'))!;
    const files = reader.dataFiles();
    expect(files.reduce((a, f) => a + f.recordCount, 0n)).toBe(80n);
    // The properties function saw the base it finally landed on.
    expect(reader.currentSnapshot()!.summary['k2.offsets']).toBe(`merged-onto-${r.sequenceNumber - 1n}`);
    expect(reader.ancestry().map((s) => s.sequenceNumber)).toEqual([r.sequenceNumber, r.sequenceNumber - 1n, ...reader.ancestry().slice(2).map((s) => s.sequenceNumber)]);
  } finally {
    await w.close();
    await w2.close();
  }
}

describe('filesystem catalog', () => {
  it('a commit on a stale base loses: v<N+1> is created exclusively', async () => {
    const wh = `${tmp.path}/fs1`;
    await staleBaseLoses(new FilesystemCatalog(wh), new FilesystemCatalog(wh));
    const dir = `${wh}/market_data/trades_v2/metadata`;
    expect(readdirSync(dir).filter((f) => f.endsWith('.metadata.json')).sort()).toEqual(['v1.metadata.json', 'v2.metadata.json']);
    expect(readFileSync(`${dir}/version-hint.text`, 'utf8')).toBe('2');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a losing append is re-applied onto the new base and both land', async () => {
    const wh = `${tmp.path}/fs2`;
    await appendRetriesOntoNewBase(new FilesystemCatalog(wh), new FilesystemCatalog(wh));
  });

  it('finds the newest version past a stale or missing version hint', async () => {
    const wh = `${tmp.path}/fs3`;
    const c = new FilesystemCatalog(wh);
    const w = await IcebergTableWriter.open(c, TRADES_TABLE);
    await w.append(sampleTrades(10));
    await w.append(sampleTrades(10, { start: 10 }));
    await w.close();
    const hint = `${wh}/market_data/trades_v2/metadata/version-hint.text`;
    writeFileSync(hint, '1');
    expect((await c.loadTable({ namespace: 'market_data', name: 'trades_v2' }))!.metadataLocation).toMatch(/v3\.metadata\.json$/);
    writeFileSync(hint, 'garbage');
    expect((await c.loadTable({ namespace: 'market_data', name: 'trades_v2' }))!.metadataLocation).toMatch(/v3\.metadata\.json$/);
    // a stale hint and the version after it gone (deleted by hand): the newer versions are still found
    writeFileSync(hint, '1');
    rmSync(`${wh}/market_data/trades_v2/metadata/v2.metadata.json`);
    expect((await c.loadTable({ namespace: 'market_data', name: 'trades_v2' }))!.metadataLocation).toMatch(/v3\.metadata\.json$/);
    expect(await c.listTables('market_data')).toEqual(['trades_v2']);
    expect(await c.loadTable({ namespace: 'market_data', name: 'quotes_v2' })).toBeNull();
    expect(existsSync(`${wh}/market_data/quotes_v2`)).toBe(false);
  });
});

describe('openCatalog', () => {
  it('defaults to the filesystem catalog and rejects unknown specs', () => {
    expect(openCatalog(undefined, '/tmp/x')).toBeInstanceOf(FilesystemCatalog);
    expect(openCatalog('filesystem', '/tmp/x')).toBeInstanceOf(FilesystemCatalog);
    expect(openCatalog('postgres://u@127.0.0.1:1/db', '/tmp/x')).toBeInstanceOf(PostgresCatalog);
    expect(() => openCatalog('mysql://x', '/tmp/x')).toThrow(ConfigError);
  });

  it('never prints a password', () => {
    const c = openCatalog('postgres://k2:secret@127.0.0.1:1/db', '/tmp/x');
    expect(c.description).not.toContain('secret');
    return c.close();
  });
});

const pgUrl = testPostgresUrl();
describe.skipIf(pgUrl === undefined)('PostgreSQL catalog', () => {
  const url = (name: string): string => {
    const u = new URL(pgUrl!);
    u.searchParams.set('catalog_name', `${name}_${Date.now()}`);
    return u.toString();
  };

  it('a commit on a stale base loses: compare-and-swap on metadata_location', async () => {
    const u = url('stale');
    const [a, b] = [openCatalog(u, `${tmp.path}/pg1`), openCatalog(u, `${tmp.path}/pg1`)];
    try {
      await staleBaseLoses(a, b);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a losing append is re-applied onto the new base and both land', async () => {
    const u = url('retry');
    const [a, b] = [openCatalog(u, `${tmp.path}/pg2`), openCatalog(u, `${tmp.path}/pg2`)];
    try {
      await appendRetriesOntoNewBase(a, b);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
