/**
 * The v2 Avro schemas (schemas/*.avsc) and their avsc types, built once with
 * k2's exact logical types (scaled bigint decimals, bigint longs and micros).
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import type { RecordKind } from '../model/record-kind.js';
import { bigintLongType } from './avro-bigint-long.js';
import { K2_LOGICAL_TYPES } from './avro-logical-types.js';

const SCHEMA_FILES: Record<RecordKind, string> = {
  trades: 'trade_v2.avsc',
  quotes: 'quote_v2.avsc',
  reference_data: 'reference_data_v2.avsc',
};

/** The directory holding the .avsc files, valid from src/ (tsx) and from dist/. */
export const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);

/** The schema JSON text of a record kind, exactly as in schemas/. */
export function schemaText(kind: RecordKind): string {
  return readFileSync(new URL(SCHEMA_FILES[kind], SCHEMA_DIR), 'utf8');
}

/** Parses an Avro schema with k2's logical types and bigint longs. */
export function avroType(schema: avro.Schema | string): avro.Type {
  const parsed = typeof schema === 'string' ? (JSON.parse(schema) as avro.Schema) : schema;
  return avro.Type.forSchema(parsed, {
    logicalTypes: K2_LOGICAL_TYPES,
    // Plain longs (sequences) become bigint; timestamp-micros has its own logical type.
    typeHook: (s: avro.Schema) =>
      s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long' && !(s as { logicalType?: unknown }).logicalType)
        ? bigintLongType
        : undefined,
  } as unknown as Partial<avro.ForSchemaOptions>);
}

const cache = new Map<RecordKind, avro.Type>();

/** The avsc type of a record kind, cached. */
export function v2Type(kind: RecordKind): avro.Type {
  let t = cache.get(kind);
  if (t === undefined) {
    t = avroType(schemaText(kind));
    cache.set(kind, t);
  }
  return t;
}

/** The canonical schema string registered with the schema registry for a kind. */
export function v2SchemaString(kind: RecordKind): string {
  return JSON.stringify(JSON.parse(schemaText(kind)));
}
