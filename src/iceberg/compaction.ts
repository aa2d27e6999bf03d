/**
 * Compaction: rewrites the small data files of each partition into files of about
 * a target size, sorted by (symbol, timestamp), and commits them as one `replace`
 * snapshot: the replaced files become DELETED entries, every other live file of a
 * touched manifest is kept as EXISTING with its original sequence numbers, and
 * untouched manifests are carried over (spec "Snapshots", writer reference §4.5).
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from './catalog/catalog.js';
import { commitWithRetry, identifierOf } from './commit.js';
import { STATUS_ADDED, STATUS_DELETED, STATUS_EXISTING, type ManifestEntry, type ManifestFile, type PartitionValues } from './data-file.js';
import { DuckDBDataFileWriter } from './duckdb-data-file-writer.js';
import { CommitConflictError, IcebergError } from './errors.js';
import { readManifestList, writeManifestList } from './manifest-list.js';
import { readManifest, writeManifest } from './manifest.js';
import { partitionKey, partitionLabel } from './partitioning.js';
import { uriToPath } from './paths.js';
import { buildSummary } from './snapshot-summary.js';
import type { TableDefinition } from './table-definitions.js';
import { currentSnapshot, newSnapshotId, nextSnapshotTimestamp, withNewSnapshot, type Snapshot, type TableMetadata } from './table-metadata.js';
import { metadataDirUri } from './table-writer.js';

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;

export interface CompactOptions {
  targetFileSizeBytes?: number;
  /** a partition is rewritten only when it has at least this many small files */
  minInputFiles?: number;
  /** progress lines */
  onProgress?: (message: string) => void;
}

export interface PartitionRewrite {
  partition: PartitionValues;
  filesBefore: number;
  filesAfter: number;
  records: bigint;
}

export interface CompactResult {
  table: string;
  /** null when nothing needed compacting */
  snapshotId: bigint | null;
  rewrites: PartitionRewrite[];
  deletedFiles: number;
  addedFiles: number;
  records: bigint;
  attempts: number;
}

/** Summary keys k2 carries forward so the newest snapshot still holds them (e.g. k2.offsets). */
function carriedProperties(parent: Snapshot | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent?.summary ?? {})) if (k.startsWith('k2.')) out[k] = v;
  return out;
}

export async function compactTable(catalog: Catalog, def: TableDefinition<object>, o: CompactOptions = {}): Promise<CompactResult> {
  const target = o.targetFileSizeBytes ?? DEFAULT_TARGET_FILE_SIZE;
  const minInputs = Math.max(2, o.minInputFiles ?? 2);
  const progress = o.onProgress ?? (() => undefined);
  const loaded = await catalog.loadTable(identifierOf(def));
  const empty: CompactResult = { table: def.name, snapshotId: null, rewrites: [], deletedFiles: 0, addedFiles: 0, records: 0n, attempts: 0 };
  const start = loaded === null ? undefined : currentSnapshot(loaded.metadata);
  if (loaded === null || start === undefined) return empty;

  // Plan: per partition, the files smaller than the target.
  const live: ManifestEntry[] = [];
  for (const m of readManifestList(start['manifest-list'])) live.push(...readManifest(m).filter((e) => e.status !== STATUS_DELETED));
  const byPartition = new Map<string, ManifestEntry[]>();
  for (const e of live) {
    if (e.dataFile.fileSizeInBytes >= BigInt(target)) continue;
    const k = partitionKey(e.dataFile.partition);
    const list = byPartition.get(k) ?? [];
    list.push(e);
    byPartition.set(k, list);
  }
  const groups = [...byPartition.values()].filter((g) => g.length >= minInputs);
  if (groups.length === 0) return empty;

  const writer = await DuckDBDataFileWriter.create(def);
  const added: ManifestEntry[] = [];
  const replaced: ManifestEntry[] = [];
  const rewrites: PartitionRewrite[] = [];
  const cols = def.columns.map((c) => `"${c.name}"`).join(', ');
  try {
    const conn = writer.connection;
    for (const group of groups) {
      const partition = group[0]!.dataFile.partition;
      const bytes = group.reduce((a, e) => a + Number(e.dataFile.fileSizeInBytes), 0);
      const records = group.reduce((a, e) => a + e.dataFile.recordCount, 0n);
      const outputs = Math.max(1, Math.ceil(bytes / target));
      const paths = group.map((e) => `'${uriToPath(e.dataFile.filePath).replace(/'/g, "''")}'`).join(', ');
      const tmp = `compact_${randomUUID().replace(/-/g, '')}`;
      await conn.run(`CREATE TEMP TABLE ${tmp} AS SELECT ${cols}, row_number() OVER (ORDER BY "symbol", "timestamp") AS _k2_rn FROM read_parquet([${paths}])`);
      try {
        const perFile = (records + BigInt(outputs) - 1n) / BigInt(outputs);
        const seq = start['sequence-number'];
        for (let k = 0n; k < BigInt(outputs); k++) {
          const lo = k * perFile + 1n;
          const hi = (k + 1n) * perFile;
          const dataFile = await writer.copyToFile(`SELECT ${cols} FROM ${tmp} WHERE _k2_rn BETWEEN ${lo} AND ${hi}`, loaded.metadata.location, partition);
          if (dataFile.recordCount === 0n) continue;
          // Java's default (use-starting-sequence-number): the data keeps the sequence number of the snapshot compaction started from.
          added.push({ status: STATUS_ADDED, snapshotId: null, sequenceNumber: seq, fileSequenceNumber: null, dataFile });
        }
      } finally {
        await conn.run(`DROP TABLE ${tmp}`);
      }
      const written = added.filter((e) => partitionKey(e.dataFile.partition) === partitionKey(partition)).reduce((a, e) => a + e.dataFile.recordCount, 0n);
      if (written !== records) throw new IcebergError('compaction lost rows; nothing was committed', { table: def.name, expected: records, written });
      replaced.push(...group);
      rewrites.push({ partition, filesBefore: group.length, filesAfter: added.filter((e) => partitionKey(e.dataFile.partition) === partitionKey(partition)).length, records });
      progress(`rewrote ${group.length} files (${records} rows) of ${partitionLabel(partition)} into ${outputs}`);
    }
  } finally {
    await writer.close();
  }

  const replacedPaths = new Set(replaced.map((e) => e.dataFile.filePath));
  let snapshotId = 0n;
  let addedManifest: ManifestFile | undefined;
  const { attempts } = await commitWithRetry(catalog, def, async ({ base, attempt, commitId }) => {
    const meta: TableMetadata = base.metadata;
    const parent = currentSnapshot(meta);
    if (parent === undefined) throw new IcebergError('table lost its snapshots during compaction', { table: def.name });
    if (snapshotId === 0n || meta.snapshots.some((s) => s['snapshot-id'] === snapshotId)) snapshotId = newSnapshotId(meta);
    const metaDir = metadataDirUri(meta);
    addedManifest ??= writeManifest({ manifestUri: `${metaDir}/${commitId}-m0.avro`, schema: def.schema, spec: def.spec, snapshotId, entries: added });
    const manifests: ManifestFile[] = [{ ...addedManifest, addedSnapshotId: snapshotId }];
    const orphans: string[] = [];
    const stillLive = new Set<string>();
    let k = 1;
    for (const m of readManifestList(parent['manifest-list'])) {
      const entries = readManifest(m);
      const touches = entries.some((e) => e.status !== STATUS_DELETED && replacedPaths.has(e.dataFile.filePath));
      if (!touches) {
        manifests.push(m);
        continue;
      }
      const rewritten: ManifestEntry[] = [];
      for (const e of entries) {
        if (e.status === STATUS_DELETED) continue;
        if (replacedPaths.has(e.dataFile.filePath)) {
          stillLive.add(e.dataFile.filePath);
          rewritten.push({ ...e, status: STATUS_DELETED, snapshotId });
        } else {
          rewritten.push({ ...e, status: STATUS_EXISTING });
        }
      }
      const uri = `${metaDir}/${commitId}-${attempt}-m${k++}.avro`;
      manifests.push(writeManifest({ manifestUri: uri, schema: def.schema, spec: def.spec, snapshotId, entries: rewritten }));
      orphans.push(uri);
    }
    if (stillLive.size !== replacedPaths.size) {
      // Another writer removed some of our inputs: a replace must not resurrect or double them.
      throw new CommitConflictError('files being compacted were removed by another commit', { table: def.name });
    }
    const sequenceNumber = meta['last-sequence-number'] + 1n;
    const listUri = `${metaDir}/snap-${snapshotId}-${attempt}-${commitId}.avro`;
    writeManifestList({ uri: listUri, snapshotId, parentSnapshotId: parent['snapshot-id'], sequenceNumber, manifests });
    const snapshot: Snapshot = {
      'sequence-number': sequenceNumber,
      'snapshot-id': snapshotId,
      'parent-snapshot-id': parent['snapshot-id'],
      'timestamp-ms': nextSnapshotTimestamp(meta),
      summary: buildSummary({ operation: 'replace', added, deleted: replaced, parent, properties: carriedProperties(parent) }),
      'manifest-list': listUri,
      'schema-id': meta['current-schema-id'],
    };
    return { metadata: withNewSnapshot(meta, snapshot, base.metadataLocation), orphansOnConflict: [listUri, ...orphans] };
  });
  return {
    table: def.name,
    snapshotId,
    rewrites,
    deletedFiles: replaced.length,
    addedFiles: added.length,
    records: replaced.reduce((a, e) => a + e.dataFile.recordCount, 0n),
    attempts,
  };
}
