/** Writes and reads v2 manifest lists (Avro), one record per manifest of a snapshot. */
import { readFileSync, writeFileSync } from 'node:fs';
import type avro from 'avsc';
import { bigintAvroType, decodeAvroContainer, encodeAvroContainer } from './avro-container.js';
import type { ManifestFile } from './data-file.js';
import { IcebergError } from './errors.js';
import { MANIFEST_LIST_SCHEMA } from './manifest-schemas.js';
import { uriToPath } from './paths.js';

interface AvroFieldSummary {
  contains_null: boolean;
  contains_nan: boolean | null;
  lower_bound: Buffer | null;
  upper_bound: Buffer | null;
}

interface AvroManifestFile {
  manifest_path: string;
  manifest_length: bigint;
  partition_spec_id: number;
  content: number;
  sequence_number: bigint;
  min_sequence_number: bigint;
  added_snapshot_id: bigint;
  added_files_count: number;
  existing_files_count: number;
  deleted_files_count: number;
  added_rows_count: bigint;
  existing_rows_count: bigint;
  deleted_rows_count: bigint;
  partitions: AvroFieldSummary[] | null;
  key_metadata: Buffer | null;
}

let listType: avro.Type | undefined;

export interface WriteManifestListOptions {
  uri: string;
  snapshotId: bigint;
  parentSnapshotId: bigint | null;
  sequenceNumber: bigint;
  manifests: readonly ManifestFile[];
}

/**
 * Writes the manifest list of a snapshot. Manifests written by this snapshot get
 * its sequence number; carried-over manifests keep theirs.
 */
export function writeManifestList(o: WriteManifestListOptions): ManifestFile[] {
  listType ??= bigintAvroType(MANIFEST_LIST_SCHEMA as unknown as avro.Schema);
  const resolved = o.manifests.map((m) => {
    if (m.sequenceNumber !== null) return m;
    if (m.addedSnapshotId !== o.snapshotId) {
      throw new IcebergError('a carried-over manifest has no sequence number', { manifest: m.manifestPath });
    }
    return { ...m, sequenceNumber: o.sequenceNumber, minSequenceNumber: m.minSequenceNumber ?? o.sequenceNumber };
  });
  const records: AvroManifestFile[] = resolved.map((m) => ({
    manifest_path: m.manifestPath,
    manifest_length: m.manifestLength,
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: m.sequenceNumber!,
    min_sequence_number: m.minSequenceNumber ?? m.sequenceNumber!,
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: m.addedRowsCount,
    existing_rows_count: m.existingRowsCount,
    deleted_rows_count: m.deletedRowsCount,
    partitions:
      m.partitions?.map((p) => ({
        contains_null: p.containsNull,
        contains_nan: p.containsNan,
        lower_bound: p.lowerBound === null ? null : Buffer.from(p.lowerBound),
        upper_bound: p.upperBound === null ? null : Buffer.from(p.upperBound),
      })) ?? null,
    key_metadata: null,
  }));
  const metadata = {
    'snapshot-id': o.snapshotId.toString(),
    'parent-snapshot-id': o.parentSnapshotId === null ? 'null' : o.parentSnapshotId.toString(),
    'sequence-number': o.sequenceNumber.toString(),
    'format-version': '2',
  };
  const buf = encodeAvroContainer(MANIFEST_LIST_SCHEMA, listType, records, metadata, 'null');
  writeFileSync(uriToPath(o.uri), buf, { flag: 'wx' });
  return resolved;
}

export function readManifestList(uri: string): ManifestFile[] {
  const path = uriToPath(uri);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new IcebergError(`cannot read manifest list: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  return decodeAvroContainer(buf, path).records.map((raw) => {
    const r = raw as AvroManifestFile;
    return {
      manifestPath: r.manifest_path,
      manifestLength: r.manifest_length,
      partitionSpecId: r.partition_spec_id,
      content: r.content === 1 ? 1 : 0,
      sequenceNumber: r.sequence_number,
      minSequenceNumber: r.min_sequence_number,
      addedSnapshotId: r.added_snapshot_id,
      addedFilesCount: r.added_files_count,
      existingFilesCount: r.existing_files_count,
      deletedFilesCount: r.deleted_files_count,
      addedRowsCount: r.added_rows_count,
      existingRowsCount: r.existing_rows_count,
      deletedRowsCount: r.deleted_rows_count,
      partitions:
        r.partitions?.map((p) => ({
          containsNull: p.contains_null,
          containsNan: p.contains_nan,
          lowerBound: p.lower_bound === null ? null : new Uint8Array(p.lower_bound),
          upperBound: p.upper_bound === null ? null : new Uint8Array(p.upper_bound),
        })) ?? null,
    };
  });
}
