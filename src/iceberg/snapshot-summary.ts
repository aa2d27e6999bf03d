/** Snapshot summaries (spec Appendix F "Optional Snapshot Summary Fields"): every value a string. */
import type { ManifestEntry } from './data-file.js';
import { partitionKey } from './partitioning.js';
import type { Snapshot } from './table-metadata.js';

export const TOTAL_KEYS = ['total-records', 'total-files-size', 'total-data-files', 'total-delete-files', 'total-position-deletes', 'total-equality-deletes'] as const;

function parentTotal(parent: Snapshot | undefined, key: string): bigint {
  const v = parent?.summary[key];
  return v !== undefined && /^\d+$/.test(v) ? BigInt(v) : 0n;
}

export interface SummaryInput {
  operation: 'append' | 'replace' | 'overwrite' | 'delete';
  added: readonly ManifestEntry[];
  deleted: readonly ManifestEntry[];
  parent: Snapshot | undefined;
  /** caller properties such as k2.offsets; reserved keys cannot be overridden */
  properties?: Record<string, string>;
}

export function buildSummary(i: SummaryInput): Snapshot['summary'] {
  const sum = (es: readonly ManifestEntry[], f: (e: ManifestEntry) => bigint): bigint => es.reduce((a, e) => a + f(e), 0n);
  const addedFiles = BigInt(i.added.length);
  const deletedFiles = BigInt(i.deleted.length);
  const addedRecords = sum(i.added, (e) => e.dataFile.recordCount);
  const deletedRecords = sum(i.deleted, (e) => e.dataFile.recordCount);
  const addedSize = sum(i.added, (e) => e.dataFile.fileSizeInBytes);
  const removedSize = sum(i.deleted, (e) => e.dataFile.fileSizeInBytes);
  const partitions = new Set([...i.added, ...i.deleted].map((e) => partitionKey(e.dataFile.partition)));
  const s: Record<string, string> = { ...(i.properties ?? {}) };
  s.operation = i.operation;
  for (const k of Object.keys(s)) {
    if (k.startsWith('added-') || k.startsWith('deleted-') || k.startsWith('total-') || k === 'removed-files-size' || k === 'changed-partition-count') delete s[k];
  }
  if (addedFiles > 0n) s['added-data-files'] = addedFiles.toString();
  if (deletedFiles > 0n) s['deleted-data-files'] = deletedFiles.toString();
  if (addedRecords > 0n) s['added-records'] = addedRecords.toString();
  if (deletedRecords > 0n) s['deleted-records'] = deletedRecords.toString();
  if (addedSize > 0n) s['added-files-size'] = addedSize.toString();
  if (removedSize > 0n) s['removed-files-size'] = removedSize.toString();
  s['changed-partition-count'] = String(partitions.size);
  s['total-records'] = (parentTotal(i.parent, 'total-records') + addedRecords - deletedRecords).toString();
  s['total-files-size'] = (parentTotal(i.parent, 'total-files-size') + addedSize - removedSize).toString();
  s['total-data-files'] = (parentTotal(i.parent, 'total-data-files') + addedFiles - deletedFiles).toString();
  s['total-delete-files'] = parentTotal(i.parent, 'total-delete-files').toString();
  s['total-position-deletes'] = parentTotal(i.parent, 'total-position-deletes').toString();
  s['total-equality-deletes'] = parentTotal(i.parent, 'total-equality-deletes').toString();
  return s as Snapshot['summary'];
}
