/** Typed errors of the bus layer. */
import { K2Error, type ErrorContext } from '../model/errors.js';

/** Talking to Kafka or the schema registry failed (unreachable, refused, rejected). */
export class BusError extends K2Error {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('BUS', message, context, options);
  }
}

/** The schema registry answered with an error (e.g. 409 incompatible schema). */
export class SchemaRegistryError extends K2Error {
  constructor(message: string, readonly status: number, readonly registryCode: number | null, context: ErrorContext = {}) {
    super('SCHEMA_REGISTRY', message, { ...context, status, registryCode });
  }
}

export type UndecodableReason = 'null-value' | 'wire-format' | 'unknown-schema' | 'incompatible-schema' | 'avro';

/**
 * A message that cannot be turned into a v2 record. Carries why, so the caller can
 * dead-letter it with the reason and move on.
 */
export class UndecodableRecordError extends K2Error {
  constructor(readonly reason: UndecodableReason, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('UNDECODABLE_RECORD', message, { ...context, reason }, options);
  }
}
