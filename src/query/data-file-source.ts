/**
 * What the query engine needs from a table format: snapshots, and for one snapshot
 * the live data files with their partition values and column bounds. The Iceberg
 * adapter implements it over src/iceberg; tests implement it over plain Parquet files.
 */
import type { Micros } from '../model/trade.js';
import type { QueryTable } from './table-schema.js';

/** Inclusive lower/upper bounds of one column in one data file. */
export interface Bounds<T> {
  lower: T;
  upper: T;
}

export interface DataFileInfo {
  /** Local filesystem path DuckDB can read. */
  path: string;
  recordCount: number;
  /** Partition values: day(timestamp) as days since 1970-01-01, identity(exchange). null when absent. */
  partition: { timestampDay: number | null; exchange: string | null };
  /** Bounds from the manifest; null when the writer did not record them. */
  symbolBounds: Bounds<string> | null;
  timestampBounds: Bounds<Micros> | null;
}

export interface SnapshotInfo {
  snapshotId: bigint;
  parentSnapshotId: bigint | null;
  /** Commit time, epoch milliseconds. */
  timestampMs: number;
  sequenceNumber: bigint | null;
  /** The summary map, e.g. operation, added-records, total-records, k2.offsets. */
  summary: Record<string, string>;
}

/** Which state of the table a query reads. */
export type SnapshotSelector =
  | { kind: 'current' }
  | { kind: 'snapshot-id'; snapshotId: bigint }
  /** The snapshot current at this instant (epoch milliseconds). */
  | { kind: 'as-of'; timestampMs: number };

/** One table pinned to one snapshot. */
export interface PinnedTable {
  table: QueryTable;
  /** null when the table does not exist yet or has no snapshot: it reads as empty. */
  snapshot: SnapshotInfo | null;
  /** An identity of the table state (e.g. the metadata file), for caching. */
  stateKey: string;
  /** The snapshot's live data files. */
  dataFiles(): Promise<DataFileInfo[]>;
}

export interface DataFileSource {
  /** Pins a table to a snapshot; throws a ValidationError for an unknown snapshot id or a time before the first snapshot. */
  pin(table: QueryTable, selector: SnapshotSelector): Promise<PinnedTable>;
  /** All snapshots of the table, oldest first, and the current snapshot id. */
  snapshots(table: QueryTable): Promise<{ snapshots: SnapshotInfo[]; currentSnapshotId: bigint | null }>;
  /** Throws when the catalog cannot be read. */
  checkHealth(): Promise<void>;
  /** A description of where the tables live, for messages. */
  describe(): string;
}
