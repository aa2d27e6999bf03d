/**
 * DataFileSource over k2's Iceberg tables (src/iceberg): loads the table metadata
 * through the catalog, picks the snapshot (current, by id, or as of a time via the
 * snapshot log), reads its manifest list and manifests, and decodes each live data
 * file's partition values and symbol/timestamp bounds. Parsed manifests are cached
 * by manifest path: manifest files are immutable, and a new snapshot carries most of
 * its parent's manifests forward, so a fresh commit costs one manifest read.
 */
import { ValidationError } from '../model/errors.js';
import type { Catalog, LoadedTable } from '../iceberg/catalog/catalog.js';
import type { ManifestFile } from '../iceberg/data-file.js';
import { readManifestList } from '../iceberg/manifest-list.js';
import { liveEntries, readManifest } from '../iceberg/manifest.js';
import { uriToPath } from '../iceberg/paths.js';
import { decodeLong, decodeString } from '../iceberg/single-value.js';
import { NAMESPACE, tableDefinition } from '../iceberg/table-definitions.js';
import type { Snapshot, TableMetadata } from '../iceberg/table-metadata.js';
import type { DataFileInfo, DataFileSource, PinnedTable, SnapshotInfo, SnapshotSelector } from './data-file-source.js';
import type { QueryTable } from './table-schema.js';

function snapshotInfo(s: Snapshot): SnapshotInfo {
  return {
    snapshotId: s['snapshot-id'],
    parentSnapshotId: s['parent-snapshot-id'] ?? null,
    timestampMs: s['timestamp-ms'],
    sequenceNumber: s['sequence-number'] ?? null,
    summary: { ...s.summary },
  };
}

/** The snapshot a selector names, using the snapshot log for as-of (the main branch's history). */
function pickSnapshot(m: TableMetadata, selector: SnapshotSelector, table: string): Snapshot | null {
  const byId = (id: bigint): Snapshot | undefined => m.snapshots.find((s) => s['snapshot-id'] === id);
  switch (selector.kind) {
    case 'current': {
      const id = m['current-snapshot-id'];
      return id === -1n || id === undefined ? null : (byId(id) ?? null);
    }
    case 'snapshot-id': {
      const s = byId(selector.snapshotId);
      if (s === undefined) throw new ValidationError(`no snapshot ${selector.snapshotId} in ${table} (see k2 query snapshots)`, { field: 'snapshot' });
      return s;
    }
    case 'as-of': {
      let id: bigint | null = null;
      const log = m['snapshot-log'].length > 0 ? m['snapshot-log'] : m.snapshots.map((s) => ({ 'timestamp-ms': s['timestamp-ms'], 'snapshot-id': s['snapshot-id'] }));
      for (const e of log) if (e['timestamp-ms'] <= selector.timestampMs) id = e['snapshot-id'];
      const s = id === null ? undefined : byId(id);
      if (s === undefined) {
        throw new ValidationError(`${table} has no snapshot at or before ${new Date(selector.timestampMs).toISOString()}`, { field: 'as-of' });
      }
      return s;
    }
  }
}

export interface IcebergDataFileSourceOptions {
  /**
   * Reuse a loaded table metadata for this long (ms), and share loads in flight.
   * 0 (default) loads the metadata on every query. Parsing the metadata of a table
   * with many snapshots costs milliseconds, so `k2 serve` reuses it for 250 ms: a
   * query then sees a snapshot at most that old, and still reads the bus tail from
   * that snapshot's own offsets, so fresh rows stay exactly once.
   */
  metadataMaxAgeMs?: number;
  /** Clock in epoch ms; tests inject one. */
  now?: () => number;
}

export class IcebergDataFileSource implements DataFileSource {
  private readonly manifestCache = new Map<string, DataFileInfo[]>();
  private readonly loaded = new Map<QueryTable, { at: number; table: Promise<LoadedTable | null> }>();

  constructor(
    private readonly catalog: Catalog,
    private readonly opts: IcebergDataFileSourceOptions = {},
  ) {}

  describe(): string {
    return this.catalog.description;
  }

  private load(table: QueryTable): Promise<LoadedTable | null> {
    const maxAge = this.opts.metadataMaxAgeMs ?? 0;
    if (maxAge <= 0) return this.catalog.loadTable({ namespace: NAMESPACE, name: table });
    const now = (this.opts.now ?? Date.now)();
    const hit = this.loaded.get(table);
    if (hit !== undefined && now - hit.at <= maxAge) return hit.table;
    const loading = this.catalog.loadTable({ namespace: NAMESPACE, name: table });
    this.loaded.set(table, { at: now, table: loading });
    loading.catch(() => this.loaded.delete(table));
    return loading;
  }

  async checkHealth(): Promise<void> {
    await this.catalog.listTables(NAMESPACE);
  }

  async snapshots(table: QueryTable): Promise<{ snapshots: SnapshotInfo[]; currentSnapshotId: bigint | null }> {
    const loaded = await this.load(table);
    if (loaded === null) return { snapshots: [], currentSnapshotId: null };
    const m = loaded.metadata;
    const current = m['current-snapshot-id'];
    return {
      snapshots: [...m.snapshots].sort((a, b) => a['timestamp-ms'] - b['timestamp-ms']).map(snapshotInfo),
      currentSnapshotId: current === -1n ? null : current,
    };
  }

  async pin(table: QueryTable, selector: SnapshotSelector): Promise<PinnedTable> {
    const loaded = await this.load(table);
    if (loaded === null) {
      if (selector.kind !== 'current') throw new ValidationError(`table ${NAMESPACE}.${table} does not exist yet`, { field: 'table' });
      return { table, snapshot: null, stateKey: 'missing', dataFiles: async () => [] };
    }
    const snap = pickSnapshot(loaded.metadata, selector, `${NAMESPACE}.${table}`);
    return {
      table,
      snapshot: snap === null ? null : snapshotInfo(snap),
      stateKey: loaded.metadataLocation,
      dataFiles: async () => (snap === null ? [] : this.filesOf(table, snap)),
    };
  }

  private filesOf(table: QueryTable, snap: Snapshot): DataFileInfo[] {
    const out: DataFileInfo[] = [];
    for (const m of readManifestList(snap['manifest-list'])) {
      if (m.content !== 0) continue; // delete manifests: k2 writes none
      out.push(...this.manifestFiles(table, m));
    }
    return out;
  }

  private manifestFiles(table: QueryTable, m: ManifestFile): DataFileInfo[] {
    const cached = this.manifestCache.get(m.manifestPath);
    if (cached !== undefined) return cached;
    const def = tableDefinition(table);
    const idOf = (name: string): number => def.columns.find((c) => c.name === name)!.id;
    const symbolId = idOf('symbol');
    const tsId = idOf('timestamp');
    const files = liveEntries(readManifest(m)).map((e): DataFileInfo => {
      const f = e.dataFile;
      const sl = f.lowerBounds.get(symbolId);
      const su = f.upperBounds.get(symbolId);
      const tl = f.lowerBounds.get(tsId);
      const tu = f.upperBounds.get(tsId);
      return {
        path: uriToPath(f.filePath),
        recordCount: Number(f.recordCount),
        partition: { timestampDay: f.partition.timestamp_day, exchange: f.partition.exchange },
        symbolBounds: sl !== undefined && su !== undefined ? { lower: decodeString(sl), upper: decodeString(su) } : null,
        timestampBounds: tl !== undefined && tu !== undefined ? { lower: decodeLong(tl), upper: decodeLong(tu) } : null,
      };
    });
    if (this.manifestCache.size > 10_000) this.manifestCache.clear();
    this.manifestCache.set(m.manifestPath, files);
    return files;
  }

  async close(): Promise<void> {
    await this.catalog.close();
  }
}
