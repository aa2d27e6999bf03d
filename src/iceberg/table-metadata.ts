/**
 * Table metadata JSON, format version 2 (spec "Table Metadata Fields", Appendix C):
 * parse (validated with zod, snapshot ids as bigint), serialise in Java's key order,
 * create, and the pure state transitions a commit makes.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IcebergError } from './errors.js';
import { parseLosslessJson, stringifyLosslessJson } from './lossless-json.js';
import { highestFieldId, type IcebergSchema, type PartitionSpec, type SortOrder } from './schema.js';

export interface Snapshot {
  'sequence-number': bigint;
  'snapshot-id': bigint;
  'parent-snapshot-id'?: bigint;
  'timestamp-ms': number;
  summary: Record<string, string> & { operation: string };
  'manifest-list': string;
  'schema-id'?: number;
}

export interface TableMetadata {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': bigint;
  'last-updated-ms': number;
  'last-column-id': number;
  'current-schema-id': number;
  schemas: IcebergSchema[];
  'default-spec-id': number;
  'partition-specs': PartitionSpec[];
  'last-partition-id': number;
  'default-sort-order-id': number;
  'sort-orders': SortOrder[];
  properties: Record<string, string>;
  'current-snapshot-id': bigint;
  refs: Record<string, { 'snapshot-id': bigint; type: 'branch' | 'tag' }>;
  snapshots: Snapshot[];
  statistics: unknown[];
  'partition-statistics': unknown[];
  'snapshot-log': { 'timestamp-ms': number; 'snapshot-id': bigint }[];
  'metadata-log': { 'timestamp-ms': number; 'metadata-file': string }[];
}

const long = z.union([z.bigint(), z.number().int()]).transform((v) => BigInt(v));
const ms = z.union([z.bigint(), z.number().int()]).transform((v) => Number(v));

const snapshotSchema = z.object({
  'sequence-number': long.optional(),
  'snapshot-id': long,
  'parent-snapshot-id': long.nullish(),
  'timestamp-ms': ms,
  summary: z.record(z.string(), z.string()).refine((s) => typeof s.operation === 'string', 'summary needs an operation'),
  'manifest-list': z.string(),
  'schema-id': z.number().int().optional(),
});

const metadataSchema = z.object({
  'format-version': z.literal(2),
  'table-uuid': z.string(),
  location: z.string(),
  'last-sequence-number': long,
  'last-updated-ms': ms,
  'last-column-id': z.number().int(),
  'current-schema-id': z.number().int(),
  schemas: z.array(z.looseObject({ 'schema-id': z.number().int(), type: z.literal('struct'), fields: z.array(z.unknown()) })),
  'default-spec-id': z.number().int(),
  'partition-specs': z.array(z.looseObject({ 'spec-id': z.number().int(), fields: z.array(z.unknown()) })),
  'last-partition-id': z.number().int(),
  'default-sort-order-id': z.number().int(),
  'sort-orders': z.array(z.looseObject({ 'order-id': z.number().int(), fields: z.array(z.unknown()) })),
  properties: z.record(z.string(), z.string()).optional(),
  'current-snapshot-id': long.nullish(),
  refs: z.record(z.string(), z.object({ 'snapshot-id': long, type: z.enum(['branch', 'tag']) }).loose()).optional(),
  snapshots: z.array(snapshotSchema).optional(),
  statistics: z.array(z.unknown()).optional(),
  'partition-statistics': z.array(z.unknown()).optional(),
  'snapshot-log': z.array(z.object({ 'timestamp-ms': ms, 'snapshot-id': long })).optional(),
  'metadata-log': z.array(z.object({ 'timestamp-ms': ms, 'metadata-file': z.string() })).optional(),
});

export function parseTableMetadata(text: string, file = '<metadata>'): TableMetadata {
  let json: unknown;
  try {
    json = parseLosslessJson(text);
  } catch (err) {
    throw new IcebergError(`metadata is not JSON: ${(err as Error).message}`, { file }, { cause: err });
  }
  const r = metadataSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new IcebergError(`invalid table metadata: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`, { file });
  }
  const m = r.data;
  return {
    ...m,
    'format-version': 2,
    schemas: m.schemas as unknown as IcebergSchema[],
    'partition-specs': m['partition-specs'] as unknown as PartitionSpec[],
    'sort-orders': m['sort-orders'] as unknown as SortOrder[],
    properties: m.properties ?? {},
    'current-snapshot-id': m['current-snapshot-id'] ?? -1n,
    refs: Object.fromEntries(Object.entries(m.refs ?? {}).map(([k, v]) => [k, { 'snapshot-id': v['snapshot-id'], type: v.type }])),
    snapshots: (m.snapshots ?? []).map((s) => {
      const snap: Snapshot = {
        'sequence-number': s['sequence-number'] ?? 0n,
        'snapshot-id': s['snapshot-id'],
        'timestamp-ms': s['timestamp-ms'],
        summary: s.summary as Snapshot['summary'],
        'manifest-list': s['manifest-list'],
      };
      if (s['parent-snapshot-id'] !== undefined && s['parent-snapshot-id'] !== null) snap['parent-snapshot-id'] = s['parent-snapshot-id'];
      if (s['schema-id'] !== undefined) snap['schema-id'] = s['schema-id'];
      return snap;
    }),
    statistics: m.statistics ?? [],
    'partition-statistics': m['partition-statistics'] ?? [],
    'snapshot-log': m['snapshot-log'] ?? [],
    'metadata-log': m['metadata-log'] ?? [],
  };
}

/** Serialises in Java's key order; snapshot ids stay exact. */
export function serializeTableMetadata(m: TableMetadata): string {
  const snapshots = m.snapshots.map((s) => {
    const o: Record<string, unknown> = {};
    if (s['sequence-number'] > 0n) o['sequence-number'] = s['sequence-number'];
    o['snapshot-id'] = s['snapshot-id'];
    if (s['parent-snapshot-id'] !== undefined) o['parent-snapshot-id'] = s['parent-snapshot-id'];
    o['timestamp-ms'] = s['timestamp-ms'];
    o.summary = s.summary;
    o['manifest-list'] = s['manifest-list'];
    if (s['schema-id'] !== undefined) o['schema-id'] = s['schema-id'];
    return o;
  });
  const ordered: Record<string, unknown> = {
    'format-version': 2,
    'table-uuid': m['table-uuid'],
    location: m.location,
    'last-sequence-number': m['last-sequence-number'],
    'last-updated-ms': m['last-updated-ms'],
    'last-column-id': m['last-column-id'],
    'current-schema-id': m['current-schema-id'],
    schemas: m.schemas,
    'default-spec-id': m['default-spec-id'],
    'partition-specs': m['partition-specs'],
    'last-partition-id': m['last-partition-id'],
    'default-sort-order-id': m['default-sort-order-id'],
    'sort-orders': m['sort-orders'],
    properties: m.properties,
    'current-snapshot-id': m['current-snapshot-id'],
    refs: m.refs,
    snapshots,
    statistics: m.statistics,
    'partition-statistics': m['partition-statistics'],
    'snapshot-log': m['snapshot-log'],
    'metadata-log': m['metadata-log'],
  };
  return stringifyLosslessJson(ordered, 2);
}

export interface NewTableOptions {
  location: string;
  schema: IcebergSchema;
  spec: PartitionSpec;
  sortOrder: SortOrder;
  properties?: Record<string, string>;
  nowMs?: number;
}

export function newTableMetadata(o: NewTableOptions): TableMetadata {
  return {
    'format-version': 2,
    'table-uuid': randomUUID(),
    location: o.location,
    'last-sequence-number': 0n,
    'last-updated-ms': o.nowMs ?? Date.now(),
    'last-column-id': highestFieldId(o.schema.fields),
    'current-schema-id': o.schema['schema-id'],
    schemas: [o.schema],
    'default-spec-id': o.spec['spec-id'],
    'partition-specs': [o.spec],
    'last-partition-id': Math.max(999, ...o.spec.fields.map((f) => f['field-id'])),
    'default-sort-order-id': o.sortOrder['order-id'],
    'sort-orders': [o.sortOrder],
    properties: { 'write.format.default': 'parquet', 'write.parquet.compression-codec': 'zstd', ...o.properties },
    'current-snapshot-id': -1n,
    refs: {},
    snapshots: [],
    statistics: [],
    'partition-statistics': [],
    'snapshot-log': [],
    'metadata-log': [],
  };
}

export const METADATA_LOG_MAX = 100;

/**
 * The metadata after adding `snapshot` as the new head of main. `previousFile` is the
 * location of the base metadata file, appended to the metadata-log.
 */
export function withNewSnapshot(base: TableMetadata, snapshot: Snapshot, previousFile: string | null): TableMetadata {
  const metadataLog = previousFile === null ? base['metadata-log'] : [...base['metadata-log'], { 'timestamp-ms': base['last-updated-ms'], 'metadata-file': previousFile }];
  return {
    ...base,
    'last-sequence-number': snapshot['sequence-number'],
    'last-updated-ms': Math.max(snapshot['timestamp-ms'], base['last-updated-ms']),
    'current-snapshot-id': snapshot['snapshot-id'],
    refs: { ...base.refs, main: { 'snapshot-id': snapshot['snapshot-id'], type: 'branch' } },
    snapshots: [...base.snapshots, snapshot],
    'snapshot-log': [...base['snapshot-log'], { 'timestamp-ms': snapshot['timestamp-ms'], 'snapshot-id': snapshot['snapshot-id'] }],
    'metadata-log': metadataLog.slice(-METADATA_LOG_MAX),
  };
}

/** The metadata with the given snapshots removed (never the current one). */
export function withoutSnapshots(base: TableMetadata, expired: ReadonlySet<bigint>, previousFile: string | null, nowMs: number): TableMetadata {
  if (expired.has(base['current-snapshot-id'])) throw new IcebergError('cannot expire the current snapshot');
  const kept = base.snapshots.filter((s) => !expired.has(s['snapshot-id']));
  // Drop snapshot-log entries up to and including the newest expired one (Java's rule).
  let cut = -1;
  base['snapshot-log'].forEach((e, i) => {
    if (expired.has(e['snapshot-id'])) cut = i;
  });
  const metadataLog = previousFile === null ? base['metadata-log'] : [...base['metadata-log'], { 'timestamp-ms': base['last-updated-ms'], 'metadata-file': previousFile }];
  return {
    ...base,
    'last-updated-ms': Math.max(nowMs, base['last-updated-ms']),
    snapshots: kept.map((s) => {
      const parent = s['parent-snapshot-id'];
      if (parent !== undefined && expired.has(parent)) {
        const { 'parent-snapshot-id': _drop, ...rest } = s;
        return rest;
      }
      return s;
    }),
    'snapshot-log': base['snapshot-log'].slice(cut + 1),
    'metadata-log': metadataLog.slice(-METADATA_LOG_MAX),
  };
}

export function currentSnapshot(m: TableMetadata): Snapshot | undefined {
  const id = m.refs.main?.['snapshot-id'] ?? m['current-snapshot-id'];
  return id === -1n ? undefined : m.snapshots.find((s) => s['snapshot-id'] === id);
}

export function snapshotById(m: TableMetadata, id: bigint): Snapshot | undefined {
  return m.snapshots.find((s) => s['snapshot-id'] === id);
}

/** Positive 63-bit id from a random UUID (spec Appendix F), unique among the table's snapshots. */
export function newSnapshotId(m: TableMetadata): bigint {
  for (;;) {
    const hex = randomUUID().replace(/-/g, '');
    const id = (BigInt(`0x${hex.slice(0, 16)}`) ^ BigInt(`0x${hex.slice(16)}`)) & 0x7fffffffffffffffn;
    if (id !== 0n && !m.snapshots.some((s) => s['snapshot-id'] === id)) return id;
  }
}

/**
 * Timestamp for a new snapshot: now, but strictly after every existing snapshot and not
 * before the last metadata change, so "as of" time travel is never ambiguous.
 */
export function nextSnapshotTimestamp(m: TableMetadata, nowMs = Date.now()): number {
  const newest = m.snapshots.reduce((a, s) => Math.max(a, s['timestamp-ms']), Number.NEGATIVE_INFINITY);
  return Math.max(nowMs, m['last-updated-ms'], newest + 1);
}
