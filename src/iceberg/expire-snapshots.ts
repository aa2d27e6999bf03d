/**
 * Snapshot expiry: drops snapshots older than a cut-off (never the current one, and
 * always keeping the newest `retainLast`), commits the smaller metadata, then
 * deletes the manifest lists, manifests and data files that no retained snapshot
 * can reach any more.
 */
import { unlinkSync } from 'node:fs';
import type { Catalog } from './catalog/catalog.js';
import { commitWithRetry, identifierOf } from './commit.js';
import { STATUS_DELETED } from './data-file.js';
import { readManifestList } from './manifest-list.js';
import { readManifest } from './manifest.js';
import { uriToPath } from './paths.js';
import type { TableDefinition } from './table-definitions.js';
import { withoutSnapshots, type Snapshot, type TableMetadata } from './table-metadata.js';

export interface ExpireResult {
  table: string;
  expiredSnapshots: bigint[];
  deletedFiles: number;
  attempts: number;
}

function pickExpired(meta: TableMetadata, olderThanMs: number, retainLast: number): Set<bigint> {
  const current = meta.refs.main?.['snapshot-id'] ?? meta['current-snapshot-id'];
  const newestFirst = [...meta.snapshots].sort((a, b) => b['timestamp-ms'] - a['timestamp-ms']);
  const keep = new Set(newestFirst.slice(0, Math.max(1, retainLast)).map((s) => s['snapshot-id']));
  keep.add(current);
  for (const r of Object.values(meta.refs)) keep.add(r['snapshot-id']);
  return new Set(meta.snapshots.filter((s) => s['timestamp-ms'] < olderThanMs && !keep.has(s['snapshot-id'])).map((s) => s['snapshot-id']));
}

/** Files a set of snapshots reference: manifest lists, manifests, live data files. */
function referencedFiles(snapshots: readonly Snapshot[]): Set<string> {
  const out = new Set<string>();
  for (const s of snapshots) {
    out.add(s['manifest-list']);
    for (const m of readManifestList(s['manifest-list'])) {
      out.add(m.manifestPath);
      for (const e of readManifest(m)) if (e.status !== STATUS_DELETED) out.add(e.dataFile.filePath);
    }
  }
  return out;
}

export async function expireSnapshots(
  catalog: Catalog,
  def: TableDefinition<object>,
  olderThanMs: number,
  o: { retainLast?: number } = {},
): Promise<ExpireResult> {
  const loaded = await catalog.loadTable(identifierOf(def));
  if (loaded === null) return { table: def.name, expiredSnapshots: [], deletedFiles: 0, attempts: 0 };
  if (pickExpired(loaded.metadata, olderThanMs, o.retainLast ?? 1).size === 0) {
    return { table: def.name, expiredSnapshots: [], deletedFiles: 0, attempts: 0 };
  }
  let expired = new Set<bigint>();
  let before: TableMetadata = loaded.metadata;
  const { table, attempts } = await commitWithRetry(catalog, def, async ({ base }) => {
    before = base.metadata;
    expired = pickExpired(base.metadata, olderThanMs, o.retainLast ?? 1);
    return { metadata: withoutSnapshots(base.metadata, expired, base.metadataLocation, Date.now()), orphansOnConflict: [] };
  });
  // Only after the commit: anything reachable from an expired snapshot and from no retained one.
  const retained = table.metadata.snapshots;
  const gone = before.snapshots.filter((s) => expired.has(s['snapshot-id']));
  const keep = referencedFiles(retained);
  let deleted = 0;
  for (const f of referencedFiles(gone)) {
    if (keep.has(f)) continue;
    try {
      unlinkSync(uriToPath(f));
      deleted++;
    } catch {
      /* already gone */
    }
  }
  return { table: def.name, expiredSnapshots: [...expired], deletedFiles: deleted, attempts };
}
