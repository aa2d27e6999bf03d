/**
 * An Iceberg catalog: where a table's current metadata file is, and an atomic swap
 * of that pointer. Implementations: filesystem (Hadoop layout) and PostgreSQL
 * (the JdbcCatalog / pyiceberg SqlCatalog `iceberg_tables` layout).
 */
import type { TableMetadata } from '../table-metadata.js';

export interface TableIdentifier {
  namespace: string;
  name: string;
}

export function tableIdentifierString(id: TableIdentifier): string {
  return `${id.namespace}.${id.name}`;
}

export interface LoadedTable {
  identifier: TableIdentifier;
  metadata: TableMetadata;
  /** file:// URI of the metadata file that is current */
  metadataLocation: string;
}

export interface Catalog {
  /** e.g. "filesystem:/data/warehouse" or "postgres:k2@host/db" (no password) */
  readonly description: string;
  /** file:// URI where a new table's data and metadata go */
  defaultTableLocation(id: TableIdentifier): string;
  /** The current metadata, or null when the table does not exist. */
  loadTable(id: TableIdentifier): Promise<LoadedTable | null>;
  /** Registers a new table; throws TableExistsError if it exists. */
  createTable(id: TableIdentifier, metadata: TableMetadata): Promise<LoadedTable>;
  /**
   * Atomically replaces `base` with `updated`. Throws CommitConflictError when the
   * table moved on since `base` was loaded; the caller reloads and re-applies.
   */
  commitTable(base: LoadedTable, updated: TableMetadata): Promise<LoadedTable>;
  listTables(namespace: string): Promise<string[]>;
  close(): Promise<void>;
}
