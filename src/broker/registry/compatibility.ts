/**
 * Avro compatibility by schema resolution (avsc createResolver), as the
 * Confluent registry defines it:
 * - BACKWARD: the new schema can read data written with the latest one;
 * - FORWARD: the latest schema can read data written with the new one;
 * - FULL: both; *_TRANSITIVE: against every earlier version, not only the latest.
 */
import avro from 'avsc';
import type { CompatibilityLevel } from './registry-store.js';

export function parseAvro(schema: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(schema) as avro.Schema);
}

/** A stable identity for "the same schema": its full schema JSON including logical-type attributes. */
export function schemaIdentity(type: avro.Type): string {
  return JSON.stringify(type.schema({ exportAttrs: true }));
}

function canRead(reader: avro.Type, writer: avro.Type): string | null {
  try {
    reader.createResolver(writer);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Returns null when compatible, else the reason. `existing` is ordered oldest first. */
export function checkCompatibility(level: CompatibilityLevel, candidate: avro.Type, existing: avro.Type[]): string | null {
  if (level === 'NONE' || existing.length === 0) return null;
  const against = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1);
  for (const old of against) {
    if (level.startsWith('BACKWARD') || level.startsWith('FULL')) {
      const why = canRead(candidate, old);
      if (why) return `new schema cannot read data written with an existing version (${level}): ${why}`;
    }
    if (level.startsWith('FORWARD') || level.startsWith('FULL')) {
      const why = canRead(old, candidate);
      if (why) return `an existing version cannot read data written with the new schema (${level}): ${why}`;
    }
  }
  return null;
}
