/**
 * The Avro schemas of v2 manifests and manifest lists, with the spec's field ids
 * (spec "Manifests", "Manifest Lists", Appendix A "Avro"; writer reference §2.1, §3.5).
 */
import type { PartitionSpec } from './schema.js';

const opt = (type: unknown): unknown[] => ['null', type];

function intMap(name: string, fieldId: number, keyId: number, valueId: number, valueType: 'long' | 'bytes'): object {
  return {
    name,
    type: opt({
      type: 'array',
      logicalType: 'map',
      items: {
        type: 'record',
        name: `k${keyId}_v${valueId}`,
        fields: [
          { name: 'key', type: 'int', 'field-id': keyId },
          { name: 'value', type: valueType, 'field-id': valueId },
        ],
      },
    }),
    default: null,
    'field-id': fieldId,
  };
}

/** Avro type of one partition field's value: day -> int(date), identity(string) -> string. */
function partitionFieldSchema(f: PartitionSpec['fields'][number]): object {
  const t = f.transform === 'day' ? { type: 'int', logicalType: 'date' } : 'string';
  return { name: f.name, type: opt(t), default: null, 'field-id': f['field-id'] };
}

export function manifestEntrySchema(spec: PartitionSpec): object {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: opt('long'), default: null, 'field-id': 1 },
      { name: 'sequence_number', type: opt('long'), default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: opt('long'), default: null, 'field-id': 4 },
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134 },
            { name: 'file_path', type: 'string', 'field-id': 100 },
            { name: 'file_format', type: 'string', 'field-id': 101 },
            {
              name: 'partition',
              'field-id': 102,
              type: { type: 'record', name: 'r102', fields: spec.fields.map(partitionFieldSchema) },
            },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            intMap('column_sizes', 108, 117, 118, 'long'),
            intMap('value_counts', 109, 119, 120, 'long'),
            intMap('null_value_counts', 110, 121, 122, 'long'),
            intMap('nan_value_counts', 137, 138, 139, 'long'),
            intMap('lower_bounds', 125, 126, 127, 'bytes'),
            intMap('upper_bounds', 128, 129, 130, 'bytes'),
            { name: 'key_metadata', type: opt('bytes'), default: null, 'field-id': 131 },
            { name: 'split_offsets', type: opt({ type: 'array', items: 'long', 'element-id': 133 }), default: null, 'field-id': 132 },
            { name: 'equality_ids', type: opt({ type: 'array', items: 'int', 'element-id': 136 }), default: null, 'field-id': 135 },
            { name: 'sort_order_id', type: opt('int'), default: null, 'field-id': 140 },
            { name: 'referenced_data_file', type: opt('string'), default: null, 'field-id': 143 },
          ],
        },
      },
    ],
  };
}

export const MANIFEST_LIST_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    {
      name: 'partitions',
      type: opt({
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            { name: 'contains_null', type: 'boolean', 'field-id': 509 },
            { name: 'contains_nan', type: opt('boolean'), default: null, 'field-id': 518 },
            { name: 'lower_bound', type: opt('bytes'), default: null, 'field-id': 510 },
            { name: 'upper_bound', type: opt('bytes'), default: null, 'field-id': 511 },
          ],
        },
      }),
      default: null,
      'field-id': 507,
    },
    { name: 'key_metadata', type: opt('bytes'), default: null, 'field-id': 519 },
  ],
} as const;
