/**
 * Publishes v2 records to Kafka through kafkajs: idempotent, acks=all, key =
 * symbol, values in the Confluent wire format after registering the v2 schema
 * under `{topic}-value`. Large sends are cut into produce requests of up to
 * `maxBatchRecords` records, each one request per call (kafkajs batches all
 * partitions of a request together).
 *
 *   RecordProducer.connect(endpoints: BusEndpoints, opts: RecordProducerOptions): Promise<RecordProducer>
 *   producer.send<K extends RecordKind>(topic: string, kind: K, records: readonly RecordOfKind[K][]): Promise<SendSummary>
 *   producer.flush(): Promise<void>   // waits for every send in progress
 *   producer.close(): Promise<void>
 *
 * Compression: 'none' by default for the embedded broker (loopback: CPU-bound,
 * bytes are free), 'gzip' by default for external brokers (Avro market data
 * compresses ~2.7x (measured); gzip is the only codec kafkajs ships without plugins).
 */
import type { Producer } from 'kafkajs';
import type { Logger } from '../log/logger.js';
import type { RecordKind, RecordOfKind } from '../model/record-kind.js';
import { valueSubject } from '../model/topics.js';
import { v2SchemaString, v2Type } from '../schema/v2-schemas.js';
import { encodeWireMany } from '../schema/wire-format.js';
import type { BusEndpoints } from './endpoints.js';
import { BusError } from './errors.js';
import { CompressionTypes, createKafka } from './kafka-client.js';
import { SchemaRegistryClient } from './schema-registry-client.js';

export type BusCompression = 'none' | 'gzip';

export interface RecordProducerOptions {
  logger: Logger;
  /** Default: 'gzip' unless `embedded` is true. */
  compression?: BusCompression;
  /** True when talking to k2's in-process broker (changes the compression default). */
  embedded?: boolean;
  /** Records per produce request; default 2000. */
  maxBatchRecords?: number;
  registry?: SchemaRegistryClient;
  clientId?: string;
}

export interface SendSummary {
  records: number;
  bytes: number;
}

export class RecordProducer {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly keys = new Map<string, Buffer>();

  private constructor(
    private readonly producer: Producer,
    private readonly registry: SchemaRegistryClient,
    private readonly compression: CompressionTypes,
    private readonly maxBatchRecords: number,
    private readonly logger: Logger,
  ) {}

  static async connect(endpoints: BusEndpoints, opts: RecordProducerOptions): Promise<RecordProducer> {
    const kafka = createKafka(endpoints.brokers, opts.logger, opts.clientId ?? 'k2-producer');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    try {
      await producer.connect();
    } catch (err) {
      throw new BusError(`cannot connect to Kafka at ${endpoints.brokers.join(',')}: ${(err as Error).message}`, { brokers: endpoints.brokers.join(',') }, { cause: err });
    }
    const compression = (opts.compression ?? (opts.embedded ? 'none' : 'gzip')) === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    return new RecordProducer(producer, opts.registry ?? new SchemaRegistryClient(endpoints.registryUrl), compression, opts.maxBatchRecords ?? (opts.embedded ? 20000 : 2000), opts.logger);
  }

  /**
   * Registers the v2 schema of a topic's records ahead of the first send (the registry
   * client caches the id), so the first records of a stream do not wait for it.
   */
  async prepare(topic: string, kind: RecordKind): Promise<void> {
    await this.registry.register(valueSubject(topic), v2SchemaString(kind));
  }

  /** Encodes and publishes records; resolves once every record is acknowledged by all in-sync replicas. */
  send<K extends RecordKind>(topic: string, kind: K, records: readonly RecordOfKind[K][]): Promise<SendSummary> {
    const p = this.doSend(topic, kind, records);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private async doSend<K extends RecordKind>(topic: string, kind: K, records: readonly RecordOfKind[K][]): Promise<SendSummary> {
    if (records.length === 0) return { records: 0, bytes: 0 };
    const schemaId = await this.registry.register(valueSubject(topic), v2SchemaString(kind));
    const type = v2Type(kind);
    let bytes = 0;
    for (let start = 0; start < records.length; start += this.maxBatchRecords) {
      const end = Math.min(records.length, start + this.maxBatchRecords);
      const values = encodeWireMany(type, schemaId, start === 0 && end === records.length ? records : records.slice(start, end));
      const messages = new Array<{ key: Buffer; value: Buffer }>(values.length);
      for (let i = 0; i < values.length; i++) {
        const value = values[i]!;
        bytes += value.length;
        messages[i] = { key: this.keyOf(records[start + i]!.symbol), value };
      }
      try {
        await this.producer.send({ topic, acks: -1, compression: this.compression, messages });
      } catch (err) {
        throw new BusError(`publishing ${messages.length} ${kind} records to ${topic} failed: ${(err as Error).message}`, { topic, kind }, { cause: err });
      }
    }
    this.logger.debug('bus: published', { topic, records: records.length, bytes });
    return { records: records.length, bytes };
  }

  /** The message key of a symbol, encoded once (kafkajs would encode a string key per message). */
  private keyOf(symbol: string): Buffer {
    let key = this.keys.get(symbol);
    if (key === undefined) {
      key = Buffer.from(symbol, 'utf8');
      if (this.keys.size < 100_000) this.keys.set(symbol, key);
    }
    return key;
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.producer.disconnect();
  }
}
