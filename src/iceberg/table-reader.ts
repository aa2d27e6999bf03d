/**
 * Read side of k2's Iceberg tables, for scan planning and the consumer's restart:
 * table metadata (current, by snapshot id, or as of a time), snapshots with their
 * summaries, and the live data files of a snapshot with partition values and
 * decoded per-column bounds. Manifests are immutable, so they are cached by path.
 *
 *     const reader = await IcebergTableReader.open(catalog, 'trades_v2');   // null if the table does not exist
 *     const snap = reader.snapshotAsOf(Date.parse('2024-01-02T00:00:00Z')) ?? reader.currentSnapshot();
 *     for (const f of reader.dataFiles(snap)) f.path, f.partition.day, f.bounds.symbol?.lower ...
 *     const offsets = reader.latestSnapshotProperty('k2.offsets');
 */
import type { Catalog } from './catalog/catalog.js';
import { identifierOf } from './commit.js';
import type { ManifestEntry, ManifestFile } from './data-file.js';
import { readManifestList } from './manifest-list.js';
import { liveEntries, readManifest } from './manifest.js';
import { uriToPath } from './paths.js';
import { decodeBound, type BoundValue } from './single-value.js';
import { tableDefinition, type ColumnDef, type TableName } from './table-definitions.js';
import { currentSnapshot, type Snapshot, type TableMetadata } from './table-metadata.js';

export interface SnapshotInfo {
  snapshotId: bigint;
  parentSnapshotId: bigint | null;
  sequenceNumber: bigint;
  timestampMs: number;
  /** append | replace | overwrite | delete */
  operation: string;
  /** every summary property, including k2.offsets when the consumer set it */
  summary: Record<string, string>;
  manifestList: string;
}

export interface ColumnBounds {
  /** string for strings; bigint micros for timestamps; bigint units of 1e-8 for decimals; bigint for longs */
  lower?: BoundValue;
  upper?: BoundValue;
}

export interface DataFileInfo {
  /** absolute local path, usable by DuckDB read_parquet */
  path: string;
  /** file:// URI as stored in the manifest */
  uri: string;
  recordCount: bigint;
  fileSizeInBytes: bigint;
  /** day: days since 1970-01-01 (UTC) of `timestamp`; exchange: identity */
  partition: { day: number | null; exchange: string | null };
  /** keyed by column name; only columns that have bounds (strings are truncated to 16 code points) */
  bounds: Record<string, ColumnBounds>;
  nullCounts: Record<string, bigint>;
  /** data sequence number and adding snapshot */
  sequenceNumber: bigint | null;
  snapshotId: bigint | null;
  /** where the file's row groups start (Parquet byte offsets, ascending), when the writer recorded them */
  splitOffsets: bigint[] | null;
}

const manifestCache = new Map<string, ManifestEntry[]>();
const MANIFEST_CACHE_MAX = 2000;

function cachedManifest(m: ManifestFile): ManifestEntry[] {
  const key = `${m.manifestPath}|${m.sequenceNumber}|${m.addedSnapshotId}`;
  let e = manifestCache.get(key);
  if (e === undefined) {
    e = readManifest(m);
    if (manifestCache.size >= MANIFEST_CACHE_MAX) manifestCache.delete(manifestCache.keys().next().value!);
    manifestCache.set(key, e);
  }
  return e;
}

export function snapshotInfo(s: Snapshot): SnapshotInfo {
  return {
    snapshotId: s['snapshot-id'],
    parentSnapshotId: s['parent-snapshot-id'] ?? null,
    sequenceNumber: s['sequence-number'],
    timestampMs: s['timestamp-ms'],
    operation: s.summary.operation,
    summary: { ...s.summary },
    manifestList: s['manifest-list'],
  };
}

/** Live data-file entries of a snapshot (ADDED or EXISTING across all its manifests). */
export function liveDataFileEntries(snapshot: { manifestList: string } | Snapshot): ManifestEntry[] {
  const list = 'manifestList' in snapshot ? snapshot.manifestList : snapshot['manifest-list'];
  const out: ManifestEntry[] = [];
  for (const m of readManifestList(list)) {
    if (m.content !== 0) continue;
    out.push(...liveEntries(cachedManifest(m)));
  }
  return out;
}

function describe(e: ManifestEntry, byId: Map<number, ColumnDef>): DataFileInfo {
  const d = e.dataFile;
  const bounds: Record<string, ColumnBounds> = {};
  const put = (m: Map<number, Uint8Array>, side: 'lower' | 'upper'): void => {
    for (const [id, bytes] of m) {
      const c = byId.get(id);
      if (c === undefined) continue;
      const v = decodeBound(c.kind, bytes);
      if (v === undefined) continue;
      (bounds[c.name] ??= {})[side] = v;
    }
  };
  put(d.lowerBounds, 'lower');
  put(d.upperBounds, 'upper');
  const nullCounts: Record<string, bigint> = {};
  for (const [id, n] of d.nullValueCounts) {
    const c = byId.get(id);
    if (c !== undefined) nullCounts[c.name] = n;
  }
  return {
    path: uriToPath(d.filePath),
    uri: d.filePath,
    recordCount: d.recordCount,
    fileSizeInBytes: d.fileSizeInBytes,
    partition: { day: d.partition.timestamp_day, exchange: d.partition.exchange },
    bounds,
    nullCounts,
    sequenceNumber: e.sequenceNumber,
    snapshotId: e.snapshotId,
    splitOffsets: d.splitOffsets,
  };
}

export class IcebergTableReader {
  private readonly byId: Map<number, ColumnDef>;

  private constructor(
    readonly table: TableName,
    readonly metadata: TableMetadata,
    /** file:// URI of the metadata file read */
    readonly metadataLocation: string,
  ) {
    this.byId = new Map(tableDefinition(table).columns.map((c) => [c.id, c]));
  }

  /** The table as the catalog has it now, or null if it was never written. */
  static async open(catalog: Catalog, table: TableName): Promise<IcebergTableReader | null> {
    const loaded = await catalog.loadTable(identifierOf(tableDefinition(table)));
    return loaded === null ? null : new IcebergTableReader(table, loaded.metadata, loaded.metadataLocation);
  }

  static fromMetadata(table: TableName, metadata: TableMetadata, metadataLocation: string): IcebergTableReader {
    return new IcebergTableReader(table, metadata, metadataLocation);
  }

  /** All retained snapshots, oldest first. */
  snapshots(): SnapshotInfo[] {
    return [...this.metadata.snapshots].sort((a, b) => a['timestamp-ms'] - b['timestamp-ms'] || Number(a['sequence-number'] - b['sequence-number'])).map(snapshotInfo);
  }

  currentSnapshot(): SnapshotInfo | null {
    const s = currentSnapshot(this.metadata);
    return s === undefined ? null : snapshotInfo(s);
  }

  snapshot(snapshotId: bigint): SnapshotInfo | null {
    const s = this.metadata.snapshots.find((x) => x['snapshot-id'] === snapshotId);
    return s === undefined ? null : snapshotInfo(s);
  }

  /** The snapshot that was current on main at `timestampMs` (from the snapshot log), or null if none was yet. */
  snapshotAsOf(timestampMs: number): SnapshotInfo | null {
    let id: bigint | null = null;
    for (const e of this.metadata['snapshot-log']) {
      if (e['timestamp-ms'] <= timestampMs && this.metadata.snapshots.some((s) => s['snapshot-id'] === e['snapshot-id'])) id = e['snapshot-id'];
    }
    if (id === null) {
      const candidates = this.metadata.snapshots.filter((s) => s['timestamp-ms'] <= timestampMs);
      const last = candidates.sort((a, b) => a['timestamp-ms'] - b['timestamp-ms']).pop();
      return last === undefined ? null : snapshotInfo(last);
    }
    return this.snapshot(id);
  }

  /** Ancestors of a snapshot on its parent chain, newest first, starting with itself. */
  ancestry(from: SnapshotInfo | null = this.currentSnapshot()): SnapshotInfo[] {
    const out: SnapshotInfo[] = [];
    let s = from;
    while (s !== null) {
      out.push(s);
      s = s.parentSnapshotId === null ? null : this.snapshot(s.parentSnapshotId);
    }
    return out;
  }

  /** A summary property of one snapshot (default: the current one). */
  snapshotProperty(key: string, snapshot: SnapshotInfo | null = this.currentSnapshot()): string | undefined {
    return snapshot?.summary[key];
  }

  /**
   * The newest value of a summary property along the current snapshot's ancestry,
   * so that a compaction (`replace`) snapshot without it does not hide it.
   */
  latestSnapshotProperty(key: string): string | undefined {
    for (const s of this.ancestry()) {
      const v = s.summary[key];
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** Live data files of a snapshot (default: the current one; none for an empty table). */
  dataFiles(snapshot: SnapshotInfo | bigint | null = this.currentSnapshot()): DataFileInfo[] {
    const snap = typeof snapshot === 'bigint' ? this.snapshot(snapshot) : snapshot;
    if (snap === null) return [];
    return liveDataFileEntries(snap).map((e) => describe(e, this.byId));
  }
}
