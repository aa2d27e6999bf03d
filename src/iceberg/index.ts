/** Public API of k2's Iceberg layer (writer, reader, catalogs, maintenance). */
export { openCatalog } from './catalog/open-catalog.js';
export type { Catalog, LoadedTable, TableIdentifier } from './catalog/catalog.js';
export { FilesystemCatalog } from './catalog/filesystem-catalog.js';
export { PostgresCatalog } from './catalog/postgres-catalog.js';
export { IcebergTableWriter, commitAppend, openTradesWriter, openQuotesWriter, definitionFor } from './table-writer.js';
export type { AppendOptions, CommitResult, SnapshotProperties } from './table-writer.js';
export { IcebergTableReader } from './table-reader.js';
export type { SnapshotInfo, DataFileInfo, ColumnBounds } from './table-reader.js';
export { compactTable, DEFAULT_TARGET_FILE_SIZE } from './compaction.js';
export type { CompactResult, CompactOptions } from './compaction.js';
export { expireSnapshots } from './expire-snapshots.js';
export { TRADES_TABLE, QUOTES_TABLE, TABLE_NAMES, NAMESPACE, tableDefinition, isTableName } from './table-definitions.js';
export type { TableName, TableDefinition } from './table-definitions.js';
export { CommitConflictError, CommitFailedError, IcebergError, TableNotFoundError } from './errors.js';
export { loadOrCreateTable } from './commit.js';

/** Where the filesystem catalog keeps tables by default: <data-dir>/warehouse. */
export function defaultWarehouseDir(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, '')}/warehouse`;
}
