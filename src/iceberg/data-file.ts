/** Data files, manifest entries and manifest-list entries, as k2 holds them in memory. */

/** Partition tuple of the k2 spec: day(timestamp) as days since epoch, and exchange. */
export interface PartitionValues {
  timestamp_day: number | null;
  exchange: string | null;
}

export interface DataFile {
  /** file:// URI */
  filePath: string;
  fileFormat: 'PARQUET';
  partition: PartitionValues;
  recordCount: bigint;
  fileSizeInBytes: bigint;
  columnSizes: Map<number, bigint>;
  valueCounts: Map<number, bigint>;
  nullValueCounts: Map<number, bigint>;
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
  splitOffsets: bigint[] | null;
  sortOrderId: number | null;
}

export const STATUS_EXISTING = 0;
export const STATUS_ADDED = 1;
export const STATUS_DELETED = 2;
export type EntryStatus = typeof STATUS_EXISTING | typeof STATUS_ADDED | typeof STATUS_DELETED;

export interface ManifestEntry {
  status: EntryStatus;
  /** null = inherited from the manifest's added_snapshot_id (ADDED only) */
  snapshotId: bigint | null;
  /** data sequence number; null = inherited (ADDED only) */
  sequenceNumber: bigint | null;
  fileSequenceNumber: bigint | null;
  dataFile: DataFile;
}

export interface FieldSummary {
  containsNull: boolean;
  containsNan: boolean | null;
  lowerBound: Uint8Array | null;
  upperBound: Uint8Array | null;
}

export interface ManifestFile {
  manifestPath: string;
  manifestLength: bigint;
  partitionSpecId: number;
  content: 0 | 1;
  /** null until the committing snapshot assigns it */
  sequenceNumber: bigint | null;
  minSequenceNumber: bigint | null;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: bigint;
  existingRowsCount: bigint;
  deletedRowsCount: bigint;
  partitions: FieldSummary[] | null;
}
