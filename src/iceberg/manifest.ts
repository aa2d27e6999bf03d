/**
 * Writes and reads v2 manifest files (Avro): one entry per data file, with the
 * partition tuple, counts and single-value bounds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { bigintAvroType, decodeAvroContainer, encodeAvroContainer } from './avro-container.js';
import type { DataFile, EntryStatus, FieldSummary, ManifestEntry, ManifestFile, PartitionValues } from './data-file.js';
import { STATUS_ADDED, STATUS_DELETED, STATUS_EXISTING } from './data-file.js';
import { IcebergError } from './errors.js';
import { stringifyLosslessJson } from './lossless-json.js';
import { manifestEntrySchema } from './manifest-schemas.js';
import { uriToPath } from './paths.js';
import type { IcebergSchema, PartitionSpec } from './schema.js';
import { compareCodePoints, encodeInt, encodeString } from './single-value.js';
import type avro from 'avsc';

interface KV<V> {
  key: number;
  value: V;
}

interface AvroDataFile {
  content: number;
  file_path: string;
  file_format: string;
  partition: Record<string, number | string | null>;
  record_count: bigint;
  file_size_in_bytes: bigint;
  column_sizes: KV<bigint>[] | null;
  value_counts: KV<bigint>[] | null;
  null_value_counts: KV<bigint>[] | null;
  nan_value_counts: KV<bigint>[] | null;
  lower_bounds: KV<Buffer>[] | null;
  upper_bounds: KV<Buffer>[] | null;
  key_metadata: Buffer | null;
  split_offsets: bigint[] | null;
  equality_ids: number[] | null;
  sort_order_id: number | null;
  referenced_data_file?: string | null;
}

interface AvroEntry {
  status: number;
  snapshot_id: bigint | null;
  sequence_number: bigint | null;
  file_sequence_number: bigint | null;
  data_file: AvroDataFile;
}

const typeCache = new Map<string, { schema: object; type: avro.Type }>();

function entryType(spec: PartitionSpec): { schema: object; type: avro.Type } {
  const key = JSON.stringify(spec);
  let t = typeCache.get(key);
  if (t === undefined) {
    const schema = manifestEntrySchema(spec);
    t = { schema, type: bigintAvroType(schema as avro.Schema) };
    typeCache.set(key, t);
  }
  return t;
}

function mapToKv<V, W>(m: Map<number, V>, f: (v: V) => W): KV<W>[] | null {
  if (m.size === 0) return null;
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([key, v]) => ({ key, value: f(v) }));
}

function kvToMap<V, W>(kv: KV<V>[] | null | undefined, f: (v: V) => W): Map<number, W> {
  const m = new Map<number, W>();
  for (const { key, value } of kv ?? []) m.set(key, f(value));
  return m;
}

function toAvro(e: ManifestEntry, spec: PartitionSpec): AvroEntry {
  const d = e.dataFile;
  const partition: Record<string, number | string | null> = {};
  for (const f of spec.fields) partition[f.name] = (d.partition as unknown as Record<string, number | string | null>)[f.name] ?? null;
  return {
    status: e.status,
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: {
      content: 0,
      file_path: d.filePath,
      file_format: d.fileFormat,
      partition,
      record_count: d.recordCount,
      file_size_in_bytes: d.fileSizeInBytes,
      column_sizes: mapToKv(d.columnSizes, (v) => v),
      value_counts: mapToKv(d.valueCounts, (v) => v),
      null_value_counts: mapToKv(d.nullValueCounts, (v) => v),
      nan_value_counts: null,
      lower_bounds: mapToKv(d.lowerBounds, (v) => Buffer.from(v)),
      upper_bounds: mapToKv(d.upperBounds, (v) => Buffer.from(v)),
      key_metadata: null,
      split_offsets: d.splitOffsets,
      equality_ids: null,
      sort_order_id: d.sortOrderId,
      referenced_data_file: null,
    },
  };
}

function fromAvro(a: AvroEntry): ManifestEntry {
  const d = a.data_file;
  if (d.content !== 0) throw new IcebergError('delete files are not supported', { file: d.file_path });
  const p = d.partition ?? {};
  const day = p.timestamp_day;
  const exchange = p.exchange;
  const partition: PartitionValues = {
    timestamp_day: typeof day === 'number' ? day : null,
    exchange: typeof exchange === 'string' ? exchange : null,
  };
  return {
    status: a.status as EntryStatus,
    snapshotId: a.snapshot_id,
    sequenceNumber: a.sequence_number,
    fileSequenceNumber: a.file_sequence_number,
    dataFile: {
      filePath: d.file_path,
      fileFormat: 'PARQUET',
      partition,
      recordCount: d.record_count,
      fileSizeInBytes: d.file_size_in_bytes,
      columnSizes: kvToMap(d.column_sizes, (v) => v),
      valueCounts: kvToMap(d.value_counts, (v) => v),
      nullValueCounts: kvToMap(d.null_value_counts, (v) => v),
      lowerBounds: kvToMap(d.lower_bounds, (v) => new Uint8Array(v)),
      upperBounds: kvToMap(d.upper_bounds, (v) => new Uint8Array(v)),
      splitOffsets: d.split_offsets,
      sortOrderId: d.sort_order_id,
    },
  };
}

/** Partition summaries for the manifest list, one per spec field, in spec order. */
export function partitionSummaries(entries: readonly ManifestEntry[], spec: PartitionSpec): FieldSummary[] {
  return spec.fields.map((f) => {
    let containsNull = false;
    if (f.transform === 'day') {
      let lo: number | null = null;
      let hi: number | null = null;
      for (const e of entries) {
        const v = e.dataFile.partition.timestamp_day;
        if (v === null) containsNull = true;
        else {
          if (lo === null || v < lo) lo = v;
          if (hi === null || v > hi) hi = v;
        }
      }
      return { containsNull, containsNan: false, lowerBound: lo === null ? null : encodeInt(lo), upperBound: hi === null ? null : encodeInt(hi) };
    }
    let lo: string | null = null;
    let hi: string | null = null;
    for (const e of entries) {
      const v = e.dataFile.partition.exchange;
      if (v === null) containsNull = true;
      else {
        if (lo === null || compareCodePoints(v, lo) < 0) lo = v;
        if (hi === null || compareCodePoints(v, hi) > 0) hi = v;
      }
    }
    return { containsNull, containsNan: false, lowerBound: lo === null ? null : encodeString(lo), upperBound: hi === null ? null : encodeString(hi) };
  });
}

export interface WriteManifestOptions {
  /** file:// URI of the manifest to create (must not exist) */
  manifestUri: string;
  schema: IcebergSchema;
  spec: PartitionSpec;
  /** snapshot that writes this manifest */
  snapshotId: bigint;
  entries: readonly ManifestEntry[];
}

/**
 * Writes a manifest (codec "null": icebird 0.3.1's inflater fails on some small
 * deflate blocks, and manifests are tiny anyway) and returns its manifest-list
 * entry, with sequence numbers left for the commit to assign.
 */
export function writeManifest(o: WriteManifestOptions): ManifestFile {
  const { schema, type } = entryType(o.spec);
  const metadata = {
    schema: stringifyLosslessJson(o.schema),
    'schema-id': String(o.schema['schema-id']),
    'partition-spec': JSON.stringify(o.spec.fields),
    'partition-spec-id': String(o.spec['spec-id']),
    'format-version': '2',
    content: 'data',
  };
  const buf = encodeAvroContainer(schema, type, o.entries.map((e) => toAvro(e, o.spec)), metadata, 'null');
  writeFileSync(uriToPath(o.manifestUri), buf, { flag: 'wx' });
  let addedFiles = 0;
  let existingFiles = 0;
  let deletedFiles = 0;
  let addedRows = 0n;
  let existingRows = 0n;
  let deletedRows = 0n;
  let minSeq: bigint | null = null;
  let inherits = false;
  for (const e of o.entries) {
    if (e.status === STATUS_ADDED) {
      addedFiles++;
      addedRows += e.dataFile.recordCount;
    } else if (e.status === STATUS_EXISTING) {
      existingFiles++;
      existingRows += e.dataFile.recordCount;
    } else {
      deletedFiles++;
      deletedRows += e.dataFile.recordCount;
    }
    if (e.status !== STATUS_DELETED) {
      if (e.sequenceNumber === null) inherits = true;
      else if (minSeq === null || e.sequenceNumber < minSeq) minSeq = e.sequenceNumber;
    }
  }
  return {
    manifestPath: o.manifestUri,
    manifestLength: BigInt(buf.length),
    partitionSpecId: o.spec['spec-id'],
    content: 0,
    sequenceNumber: null,
    // If any live entry inherits, the commit's own sequence number may be the minimum:
    // resolved when the list is written (null here means "the commit's number").
    minSequenceNumber: inherits ? null : minSeq,
    addedSnapshotId: o.snapshotId,
    addedFilesCount: addedFiles,
    existingFilesCount: existingFiles,
    deletedFilesCount: deletedFiles,
    addedRowsCount: addedRows,
    existingRowsCount: existingRows,
    deletedRowsCount: deletedRows,
    partitions: partitionSummaries(o.entries, o.spec),
  };
}

/** Reads a manifest's entries, with inherited snapshot id and sequence numbers filled in. */
export function readManifest(m: ManifestFile): ManifestEntry[] {
  const path = uriToPath(m.manifestPath);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new IcebergError(`cannot read manifest: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  const container = decodeAvroContainer(buf, path);
  return container.records.map((r) => {
    const e = fromAvro(r as AvroEntry);
    if (e.snapshotId === null) e.snapshotId = m.addedSnapshotId;
    if (e.status === STATUS_ADDED) {
      if (e.sequenceNumber === null) e.sequenceNumber = m.sequenceNumber;
      if (e.fileSequenceNumber === null) e.fileSequenceNumber = m.sequenceNumber;
    }
    return e;
  });
}

/** Live (ADDED or EXISTING) data files of a manifest. */
export function liveEntries(entries: readonly ManifestEntry[]): ManifestEntry[] {
  return entries.filter((e) => e.status !== STATUS_DELETED);
}

export type { DataFile };
