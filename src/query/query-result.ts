/**
 * What every query returns: rows of exact JSON values (decimals and 64-bit integers as
 * strings, timestamps as ISO-8601 UTC with microseconds), the column order, and the
 * scan plan that produced them.
 */
import type { Json } from '../runtime/duckdb-node-api.js';
import type { QueryTable } from './table-schema.js';

export type ResultRow = Record<string, Json>;

export interface PlanReport {
  table: QueryTable;
  /** The snapshot read, as a decimal string; null for an empty table. */
  snapshotId: string | null;
  filesTotal: number;
  filesScanned: number;
  filesSkipped: number;
  skippedByPartition: number;
  skippedByBounds: number;
  recordsScanned: number;
  /** Fresh rows fetched from the bus tail (before filtering); 0 when not read. */
  freshRecords: number;
  /** Why fresh rows were not read, when they were wanted but unavailable. */
  freshUnavailable: string | null;
}

export interface QueryResult {
  columns: string[];
  rows: ResultRow[];
  plans: PlanReport[];
}
