/**
 * Turns Confluent-framed Kafka values back into v2 records: the writer schema is
 * fetched by id from the registry (cached) and resolved to the current v2 reader
 * type of the record kind (Avro schema resolution), so records written with an
 * older compatible schema still decode.
 *
 *   new RecordDecoder(registry: SchemaRegistryClient)
 *   decoder.decode<K extends RecordKind>(kind: K, value: Buffer | null): Promise<RecordOfKind[K]>   // throws UndecodableRecordError
 *   decoder.decodeAll<K>(kind: K, values: readonly (Buffer | null)[]): Promise<DecodeOutcome<RecordOfKind[K]>[]>
 *   await decoder.prepare(kind, schemaIds); decoder.readsDirectly(kind, id); decoder.decodeSync(kind, value)
 */
import type avro from 'avsc';
import type { RecordKind, RecordOfKind } from '../model/record-kind.js';
import { avroType, v2Type } from '../schema/v2-schemas.js';
import { MAGIC_BYTE, WIRE_HEADER_BYTES, decodeWire, splitWire } from '../schema/wire-format.js';
import { SchemaRegistryError, UndecodableRecordError } from './errors.js';
import type { SchemaRegistryClient } from './schema-registry-client.js';

export type DecodeOutcome<T> = { ok: true; record: T } | { ok: false; error: UndecodableRecordError };

interface ReaderPlan {
  type: avro.Type;
  resolver: object | undefined;
  /** the writer schema is the reader's, logical types and their attributes included */
  identical: boolean;
}

/** A schema's JSON with logical types and their attributes, without docs: equal means the same encoding and meaning. */
function strictSchema(t: avro.Type): string {
  return JSON.stringify(t.schema({ exportAttrs: true }), (k, v: unknown) => (k === 'doc' ? undefined : v));
}

export class RecordDecoder {
  private readonly plans = new Map<string, Promise<ReaderPlan>>();
  /** Plans that have been built, by kind then schema id: records of a known schema decode without awaiting. */
  private readonly ready = new Map<RecordKind, Map<number, ReaderPlan>>();

  /** Why a schema id could not be planned at the last prepare(), by kind then schema id. */
  private readonly failed = new Map<RecordKind, Map<number, UndecodableRecordError>>();

  constructor(private readonly registry: SchemaRegistryClient) {}

  /** The schema id of a framed value, or -1 when it is not framed (decodeSync then names the error). */
  static frameSchemaId(value: Buffer | null): number {
    return value === null ? -1 : RecordDecoder.frameSchemaIdAt(value, 0, value.length);
  }

  /** frameSchemaId of the value bytes[start, end). */
  static frameSchemaIdAt(bytes: Buffer | null, start: number, end: number): number {
    return bytes !== null && end - start >= WIRE_HEADER_BYTES && bytes[start] === MAGIC_BYTE ? bytes.readUInt32BE(start + 1) : -1;
  }

  /** Whether a plan for the schema id is built (or known to fail): decodeSync needs no await then. */
  isPrepared(kind: RecordKind, schemaId: number): boolean {
    return schemaId < 0 || this.ready.get(kind)?.has(schemaId) === true || this.failed.get(kind)?.has(schemaId) === true;
  }

  /**
   * Builds the plans of these schema ids so that decodeSync and readsDirectly work for
   * them; ids the registry does not know (or that cannot be read as v2) are remembered
   * as failures until the next prepare. Registry outages throw.
   */
  async prepare(kind: RecordKind, schemaIds: Iterable<number>): Promise<void> {
    let failed = this.failed.get(kind);
    if (failed === undefined) this.failed.set(kind, (failed = new Map()));
    for (const id of schemaIds) {
      if (id < 0 || this.ready.get(kind)?.has(id) === true) continue;
      failed.delete(id);
      try {
        await this.plan(kind, id);
      } catch (err) {
        if (err instanceof UndecodableRecordError) failed.set(id, err);
        else throw err;
      }
    }
  }

  /** True when values of this (prepared) schema id are written with exactly the v2 reader schema (logical types included). */
  readsDirectly(kind: RecordKind, schemaId: number): boolean {
    return this.ready.get(kind)?.get(schemaId)?.identical === true;
  }

  /** decode() for a value whose schema id was prepared; throws UndecodableRecordError. */
  decodeSync<K extends RecordKind>(kind: K, value: Buffer | null): RecordOfKind[K] {
    const schemaId = this.schemaIdOf(value);
    const plan = this.ready.get(kind)?.get(schemaId);
    if (plan === undefined) {
      throw this.failed.get(kind)?.get(schemaId) ?? new UndecodableRecordError('unknown-schema', `schema id ${schemaId} was not prepared`, { schemaId });
    }
    return this.decodeWith(kind, value as Buffer, schemaId, plan);
  }

  private plan(kind: RecordKind, schemaId: number): Promise<ReaderPlan> {
    const key = `${kind}:${schemaId}`;
    let p = this.plans.get(key);
    if (p === undefined) {
      p = (async (): Promise<ReaderPlan> => {
        let text: string;
        try {
          text = await this.registry.getSchemaById(schemaId);
        } catch (err) {
          if (err instanceof SchemaRegistryError && err.status === 404) {
            throw new UndecodableRecordError('unknown-schema', `schema id ${schemaId} is not in the registry`, { schemaId });
          }
          throw err;
        }
        const reader = v2Type(kind);
        let writer: avro.Type;
        try {
          writer = avroType(text);
        } catch (err) {
          throw new UndecodableRecordError('unknown-schema', `schema id ${schemaId} is not valid Avro: ${(err as Error).message}`, { schemaId });
        }
        if (writer.equals(reader)) return { type: reader, resolver: undefined, identical: strictSchema(writer) === strictSchema(reader) };
        try {
          return { type: reader, resolver: reader.createResolver(writer), identical: false };
        } catch (err) {
          throw new UndecodableRecordError('incompatible-schema', `writer schema ${schemaId} cannot be read as v2 ${kind}: ${(err as Error).message}`, { schemaId, kind });
        }
      })().then((plan) => {
        let byId = this.ready.get(kind);
        if (byId === undefined) this.ready.set(kind, (byId = new Map()));
        byId.set(schemaId, plan);
        return plan;
      });
      p.catch(() => this.plans.delete(key));
      this.plans.set(key, p);
    }
    return p;
  }

  /** The schema id of a framed value; throws UndecodableRecordError for tombstones and bad framing. */
  private schemaIdOf(value: Buffer | null): number {
    if (value === null) throw new UndecodableRecordError('null-value', 'message has no value (tombstone)');
    if (value.length >= WIRE_HEADER_BYTES && value[0] === MAGIC_BYTE) return value.readUInt32BE(1);
    try {
      return splitWire(value).schemaId; // throws the framing error
    } catch (err) {
      throw new UndecodableRecordError('wire-format', (err as Error).message, { bytes: value.length }, { cause: err });
    }
  }

  private decodeWith<K extends RecordKind>(kind: K, value: Buffer, schemaId: number, plan: ReaderPlan): RecordOfKind[K] {
    try {
      return decodeWire<RecordOfKind[K]>(value, plan.type, plan.resolver);
    } catch (err) {
      throw new UndecodableRecordError('avro', (err as Error).message, { schemaId, kind }, { cause: err });
    }
  }

  async decode<K extends RecordKind>(kind: K, value: Buffer | null): Promise<RecordOfKind[K]> {
    const schemaId = this.schemaIdOf(value);
    const plan = this.ready.get(kind)?.get(schemaId) ?? (await this.plan(kind, schemaId));
    return this.decodeWith(kind, value as Buffer, schemaId, plan);
  }

  /**
   * Decodes many values; undecodable ones come back as errors instead of throwing. Registry outages still throw.
   * Values whose schema plan is already built decode synchronously; only the first value of a new schema id waits.
   */
  async decodeAll<K extends RecordKind>(kind: K, values: readonly (Buffer | null)[]): Promise<DecodeOutcome<RecordOfKind[K]>[]> {
    const out: DecodeOutcome<RecordOfKind[K]>[] = [];
    for (const v of values) {
      try {
        const schemaId = this.schemaIdOf(v);
        const plan = this.ready.get(kind)?.get(schemaId) ?? (await this.plan(kind, schemaId));
        out.push({ ok: true, record: this.decodeWith(kind, v as Buffer, schemaId, plan) });
      } catch (err) {
        if (err instanceof UndecodableRecordError) out.push({ ok: false, error: err });
        else throw err;
      }
    }
    return out;
  }
}
