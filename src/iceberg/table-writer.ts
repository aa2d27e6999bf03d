/**
 * Appends batches of v2 records to an Iceberg table: Parquet data files (one per
 * partition, sorted by symbol, timestamp), one manifest, a manifest list that carries
 * every manifest of the parent forward, and one `append` snapshot per call, whose
 * summary holds the caller's properties (e.g. `k2.offsets`). Conflicting commits
 * are re-applied onto the new base, so concurrent writers all land their rows.
 *
 *     const writer = await IcebergTableWriter.open(catalog, TRADES_TABLE);
 *     const r = await writer.append(trades, { properties: { 'k2.offsets': JSON.stringify(offsets) } });
 *     await writer.close();
 */
import { join } from 'node:path';
import type { QuoteV2 } from '../model/quote.js';
import type { TradeV2 } from '../model/trade.js';
import type { ColumnBatch } from './column-batch.js';
import type { Catalog, LoadedTable } from './catalog/catalog.js';
import { commitWithRetry, identifierOf, type CommitRetryPolicy } from './commit.js';
import type { ManifestEntry, ManifestFile } from './data-file.js';
import { DuckDBDataFileWriter } from './duckdb-data-file-writer.js';
import { readManifestList, writeManifestList } from './manifest-list.js';
import { writeManifest } from './manifest.js';
import { pathToUri, uriToPath } from './paths.js';
import { buildSummary } from './snapshot-summary.js';
import { QUOTES_TABLE, TRADES_TABLE, type TableDefinition, type TableName } from './table-definitions.js';
import { currentSnapshot, newSnapshotId, nextSnapshotTimestamp, withNewSnapshot, type Snapshot, type TableMetadata } from './table-metadata.js';

/** Snapshot summary properties, fixed or computed against the base the commit lands on. */
export type SnapshotProperties = Record<string, string> | ((base: TableMetadata) => Record<string, string>);

export interface AppendOptions {
  properties?: SnapshotProperties;
}

export interface CommitResult {
  table: string;
  snapshotId: bigint;
  sequenceNumber: bigint;
  /** file:// URI of the metadata file this commit made current */
  metadataLocation: string;
  addedDataFiles: number;
  addedRecords: bigint;
  /** 1 when no other writer interfered */
  attempts: number;
}

export function metadataDirUri(metadata: TableMetadata): string {
  return pathToUri(join(uriToPath(metadata.location), 'metadata'));
}

function resolveProperties(p: SnapshotProperties | undefined, base: TableMetadata): Record<string, string> {
  if (p === undefined) return {};
  return typeof p === 'function' ? p(base) : p;
}

/** The manifests of the current snapshot (empty for a table without snapshots). */
export function currentManifests(metadata: TableMetadata): ManifestFile[] {
  const snap = currentSnapshot(metadata);
  return snap === undefined ? [] : readManifestList(snap['manifest-list']);
}

/** Commits already-written data files as one append snapshot (the second half of `append`). */
export async function commitAppend(
  catalog: Catalog,
  def: TableDefinition<object>,
  entries: readonly ManifestEntry[],
  options: AppendOptions = {},
  retry?: CommitRetryPolicy,
): Promise<CommitResult> {
  let manifest: ManifestFile | undefined;
  let snapshotId = 0n;
  let sequenceNumber = 0n;
  const { table, attempts } = await commitWithRetry(
    catalog,
    def,
    async ({ base, attempt, commitId }) => {
      const meta = base.metadata;
      if (snapshotId === 0n || meta.snapshots.some((s) => s['snapshot-id'] === snapshotId)) snapshotId = newSnapshotId(meta);
      const metaDir = metadataDirUri(meta);
      // The manifest does not depend on the base (entries inherit their sequence numbers), so it is written once.
      if (manifest === undefined && entries.length > 0) {
        manifest = writeManifest({
          manifestUri: `${metaDir}/${commitId}-m0.avro`,
          schema: meta.schemas.find((s) => s['schema-id'] === meta['current-schema-id']) ?? def.schema,
          spec: meta['partition-specs'].find((s) => s['spec-id'] === meta['default-spec-id']) ?? def.spec,
          snapshotId,
          entries,
        });
      }
      const ours = manifest === undefined ? [] : [{ ...manifest, addedSnapshotId: snapshotId }];
      const parent = currentSnapshot(meta);
      sequenceNumber = meta['last-sequence-number'] + 1n;
      const listUri = `${metaDir}/snap-${snapshotId}-${attempt}-${commitId}.avro`;
      writeManifestList({
        uri: listUri,
        snapshotId,
        parentSnapshotId: parent?.['snapshot-id'] ?? null,
        sequenceNumber,
        manifests: [...ours, ...currentManifests(meta)],
      });
      const snapshot: Snapshot = {
        'sequence-number': sequenceNumber,
        'snapshot-id': snapshotId,
        'timestamp-ms': nextSnapshotTimestamp(meta),
        summary: buildSummary({ operation: 'append', added: entries, deleted: [], parent, properties: resolveProperties(options.properties, meta) }),
        'manifest-list': listUri,
        'schema-id': meta['current-schema-id'],
      };
      if (parent !== undefined) snapshot['parent-snapshot-id'] = parent['snapshot-id'];
      return { metadata: withNewSnapshot(meta, snapshot, base.metadataLocation), orphansOnConflict: [listUri] };
    },
    retry,
  );
  return {
    table: def.name,
    snapshotId,
    sequenceNumber,
    metadataLocation: table.metadataLocation,
    addedDataFiles: entries.length,
    addedRecords: entries.reduce((a, e) => a + e.dataFile.recordCount, 0n),
    attempts,
  };
}

export class IcebergTableWriter<R extends object> {
  private location: string | undefined;

  private constructor(
    readonly catalog: Catalog,
    readonly def: TableDefinition<R>,
    private readonly files: DuckDBDataFileWriter<R>,
  ) {}

  static async open<R extends object>(catalog: Catalog, def: TableDefinition<R>): Promise<IcebergTableWriter<R>> {
    return new IcebergTableWriter(catalog, def, await DuckDBDataFileWriter.create(def));
  }

  /** The table's base location: from its metadata, or the catalog default before it exists. */
  private async tableLocation(): Promise<string> {
    if (this.location === undefined) {
      const loaded: LoadedTable | null = await this.catalog.loadTable(identifierOf(this.def));
      this.location = loaded?.metadata.location ?? this.catalog.defaultTableLocation(identifierOf(this.def));
    }
    return this.location;
  }

  /** Writes the Parquet files of a batch without committing them (for pipelining). */
  async writeDataFiles(rows: readonly R[]): Promise<ManifestEntry[]> {
    return this.files.writeRows(rows, await this.tableLocation());
  }

  /** writeDataFiles() for rows held column by column. */
  async writeBatchFiles(batch: ColumnBatch): Promise<ManifestEntry[]> {
    return this.files.writeBatch(batch, await this.tableLocation());
  }

  /** Writes `rows` and commits them as one append snapshot (even for 0 rows, to record properties). */
  async append(rows: readonly R[], options: AppendOptions = {}, retry?: CommitRetryPolicy): Promise<CommitResult> {
    return this.commitDataFiles(await this.writeDataFiles(rows), options, retry);
  }

  /** Commits data files written by writeDataFiles as one append snapshot. */
  commitDataFiles(entries: readonly ManifestEntry[], options: AppendOptions = {}, retry?: CommitRetryPolicy): Promise<CommitResult> {
    return commitAppend(this.catalog, this.def as TableDefinition<object>, entries, options, retry);
  }

  async close(): Promise<void> {
    await this.files.close();
  }
}

export function openTradesWriter(catalog: Catalog): Promise<IcebergTableWriter<TradeV2>> {
  return IcebergTableWriter.open(catalog, TRADES_TABLE);
}

export function openQuotesWriter(catalog: Catalog): Promise<IcebergTableWriter<QuoteV2>> {
  return IcebergTableWriter.open(catalog, QUOTES_TABLE);
}

export function definitionFor(name: TableName): TableDefinition<object> {
  return (name === 'trades_v2' ? TRADES_TABLE : QUOTES_TABLE) as TableDefinition<object>;
}
