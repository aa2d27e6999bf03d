/**
 * Publishes v2 records to Kafka through kafkajs: idempotent, acks=all, key =
 * symbol, values in the Confluent wire format after registering the v2 schema
 * under `{topic}-value`. Large sends are cut into produce requests of up to
 * `maxBatchRecords` records and `maxBatchBytes` bytes (before compression), each one
 * request per call (kafkajs batches all partitions of a request together).
 *
 *   RecordProducer.connect(endpoints: BusEndpoints, opts: RecordProducerOptions): Promise<RecordProducer>
 *   producer.send<K extends RecordKind>(topic: string, kind: K, records: readonly RecordOfKind[K][]): Promise<SendSummary>
 *   producer.encodeNow<K extends RecordKind>(topic, kind, records): WireMessage[] | null   // sync, once the schema id is known
 *   producer.encode<K extends RecordKind>(topic, kind, records): Promise<WireMessage[]>
 *   producer.sendMessages(topic: string, kind: RecordKind, messages: readonly WireMessage[]): Promise<SendSummary>
 *   producer.seal<K extends RecordKind>(topic, kind, records): SealedRecords<K>         // sync: encoded now (packed), or the records kept
 *   producer.sendSealed<K extends RecordKind>(topic, kind, chunks: readonly SealedRecords<K>[]): Promise<SendSummary>
 *   producer.unseal<K extends RecordKind>(kind, sealed: SealedRecords<K>): RecordOfKind[K][]   // the records back (sends that never happened)
 *   producer.sealer<K extends RecordKind>(topic, kind): BodySealer<K> | null   // seals bodies an encoder writes itself (null: schema id not known yet)
 *   producer.flush(): Promise<void>   // waits for every send in progress
 *   producer.close(): Promise<void>
 *   producer.close(timeoutMs): Promise<boolean>   // ... but gives up waiting after timeoutMs (broker gone or hung): false
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
import { PackedWireBuilder, type AvroBodyWriter } from '../schema/packed-wire-builder.js';
import { decodeWire, encodeWireMany, encodeWirePacked, type PackedWire } from '../schema/wire-format.js';
import { settleWithin } from '../resilience/deadline.js';
import type { BusEndpoints } from './endpoints.js';
import { BusError } from './errors.js';
import { CompressionTypes, createKafka, type KafkaLogGate } from './kafka-client.js';
import { SchemaRegistryClient } from './schema-registry-client.js';

export type BusCompression = 'none' | 'gzip';

export interface RecordProducerOptions {
  logger: Logger;
  /** Default: 'gzip' unless `embedded` is true. */
  compression?: BusCompression;
  /** True when talking to k2's in-process broker (changes the compression default). */
  embedded?: boolean;
  /** Records per produce request; default 20000 embedded, else 2000. */
  maxBatchRecords?: number;
  /**
   * Bytes (keys and values, before compression) per produce request; default 4 MiB embedded
   * (its broker takes batches up to 8 MiB), else 900 KB (below Kafka's default 1 MB message.max.bytes).
   * A single record larger than this still goes alone, and the broker decides.
   */
  maxBatchBytes?: number;
  registry?: SchemaRegistryClient;
  clientId?: string;
}

export interface SendSummary {
  records: number;
  bytes: number;
}

/** One record ready for the bus: its key (the symbol) and its value in the Confluent wire format. */
export interface WireMessage {
  key: Buffer;
  value: Buffer;
}

/**
 * Records sealed for a later send: encoded already, or, while the topic's schema id is not
 * known yet, still the records (encoded when sent).
 */
export type SealedRecords<K extends RecordKind = RecordKind> = { readonly packed: PackedMessages } | { readonly records: readonly RecordOfKind[K][] };

/** Encoded values back to back (PackedWire) and each one's key: a few objects for a whole chunk. */
interface PackedMessages extends PackedWire {
  keys: Buffer[];
}

/**
 * Seals records whose Avro bodies their encoder writes itself (no record object in
 * between): `append` one at a time, then `finish` the chunk (same form as `seal` gives, for
 * sendSealed and unseal). Reusable: `finish` starts the next chunk.
 */
export class BodySealer<K extends RecordKind> {
  private readonly builder: PackedWireBuilder;
  private keys: Buffer[] = [];

  constructor(schemaId: number, private readonly keyOf: (symbol: string) => Buffer) {
    this.builder = new PackedWireBuilder(schemaId);
  }

  /** Records appended since the last finish(). */
  get count(): number {
    return this.keys.length;
  }

  /** Appends one record of `symbol` (its key), whose body `body` writes. */
  append(symbol: string, body: AvroBodyWriter): void {
    this.builder.append(body);
    this.keys.push(this.keyOf(symbol));
  }

  finish(): SealedRecords<K> {
    const packed = this.builder.finish();
    const keys = this.keys;
    this.keys = [];
    return { packed: { ...packed, keys } };
  }
}

/** A record's framing in a RecordBatch beyond its key and value (length, attributes, deltas, headers), at most. */
const RECORD_OVERHEAD_BYTES = 24;

export class RecordProducer {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly keys = new Map<string, Buffer>();
  /** Schema ids already registered, by `${kind} ${topic}`, for encodeNow. */
  private readonly schemaIds = new Map<string, number>();

  private constructor(
    private readonly producer: Producer,
    private readonly registry: SchemaRegistryClient,
    private readonly compression: CompressionTypes,
    private readonly maxBatchRecords: number,
    private readonly maxBatchBytes: number,
    private readonly logger: Logger,
    private readonly kafkaLog: KafkaLogGate,
  ) {}

  static async connect(endpoints: BusEndpoints, opts: RecordProducerOptions): Promise<RecordProducer> {
    const kafkaLog: KafkaLogGate = { muted: false };
    const kafka = createKafka(endpoints.brokers, opts.logger, opts.clientId ?? 'k2-producer', kafkaLog);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    try {
      await producer.connect();
    } catch (err) {
      // kafkajs keeps its sockets (and the process) alive after a failed connect unless told to let go
      await producer.disconnect().catch(() => undefined);
      throw new BusError(`cannot connect to Kafka at ${endpoints.brokers.join(',')}: ${(err as Error).message}`, { brokers: endpoints.brokers.join(',') }, { cause: err });
    }
    const compression = (opts.compression ?? (opts.embedded ? 'none' : 'gzip')) === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    return new RecordProducer(
      producer,
      opts.registry ?? new SchemaRegistryClient(endpoints.registryUrl),
      compression,
      opts.maxBatchRecords ?? (opts.embedded ? 20000 : 2000),
      opts.maxBatchBytes ?? (opts.embedded ? 4 * 1024 * 1024 : 900_000),
      opts.logger,
      kafkaLog,
    );
  }

  /**
   * Registers the v2 schema of a topic's records ahead of the first send (the registry
   * client caches the id), so the first records of a stream do not wait for it.
   */
  async prepare(topic: string, kind: RecordKind): Promise<void> {
    await this.schemaIdOf(topic, kind);
  }

  private async schemaIdOf(topic: string, kind: RecordKind): Promise<number> {
    const id = await this.registry.register(valueSubject(topic), v2SchemaString(kind));
    this.schemaIds.set(`${kind} ${topic}`, id);
    return id;
  }

  /** Encodes and publishes records; resolves once every record is acknowledged by all in-sync replicas. */
  send<K extends RecordKind>(topic: string, kind: K, records: readonly RecordOfKind[K][]): Promise<SendSummary> {
    return this.track(this.encode(topic, kind, records).then((messages) => this.publishMessages(topic, kind, messages)));
  }

  /**
   * The records as wire messages, encoded now, or null while the topic's schema id is not
   * known yet (prepare() or a first send registers it). Encoding as records arrive lets
   * them be collected young: only the compact messages wait for the bus.
   */
  encodeNow<K extends RecordKind>(topic: string, kind: K, records: readonly RecordOfKind[K][]): WireMessage[] | null {
    const schemaId = this.schemaIds.get(`${kind} ${topic}`);
    return schemaId === undefined ? null : this.toMessages(schemaId, kind, records);
  }

  /** The records as wire messages, registering the topic's schema first if needed. */
  async encode<K extends RecordKind>(topic: string, kind: K, records: readonly RecordOfKind[K][]): Promise<WireMessage[]> {
    if (records.length === 0) return [];
    return this.encodeNow(topic, kind, records) ?? this.toMessages(await this.schemaIdOf(topic, kind), kind, records);
  }

  /** The records encoded now (encodeNow), or kept as they are until sendSealed when the schema id is not known yet. */
  seal<K extends RecordKind>(topic: string, kind: K, records: readonly RecordOfKind[K][]): SealedRecords<K> {
    const schemaId = this.schemaIds.get(`${kind} ${topic}`);
    if (schemaId === undefined) return { records };
    const packed = encodeWirePacked(v2Type(kind), schemaId, records);
    const keys = new Array<Buffer>(records.length);
    for (let i = 0; i < records.length; i++) keys[i] = this.keyOf(records[i]!.symbol);
    return { packed: { ...packed, keys } };
  }

  /**
   * A sealer for records whose bodies an encoder writes itself (see BodySealer), or null
   * while the topic's schema id is not known yet (prepare() or a first send registers it).
   */
  sealer<K extends RecordKind>(topic: string, kind: K): BodySealer<K> | null {
    const schemaId = this.schemaIds.get(`${kind} ${topic}`);
    return schemaId === undefined ? null : new BodySealer<K>(schemaId, (symbol) => this.keyOf(symbol));
  }

  /** Sends sealed chunks as one send, in their order (encoding any still held as records). */
  async sendSealed<K extends RecordKind>(topic: string, kind: K, chunks: readonly SealedRecords<K>[]): Promise<SendSummary> {
    const messages: WireMessage[] = [];
    for (const c of chunks) {
      if ('packed' in c) {
        const { buf, starts, keys } = c.packed;
        for (let i = 0; i < keys.length; i++) messages.push({ key: keys[i]!, value: buf.subarray(starts[i], starts[i + 1]) });
      } else for (const m of await this.encode(topic, kind, c.records)) messages.push(m);
    }
    return this.sendMessages(topic, kind, messages);
  }

  /**
   * The records of a sealed chunk, decoded back from its wire messages (or as they were kept):
   * what a caller that gives up on sending still has to account for, e.g. to dead-letter them.
   */
  unseal<K extends RecordKind>(kind: K, sealed: SealedRecords<K>): RecordOfKind[K][] {
    if ('records' in sealed) return [...sealed.records];
    const { buf, starts, keys } = sealed.packed;
    const type = v2Type(kind);
    const out = new Array<RecordOfKind[K]>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = decodeWire<RecordOfKind[K]>(buf.subarray(starts[i], starts[i + 1]), type);
    return out;
  }

  /** Publishes messages made by encode/encodeNow, in order; resolves once all are acknowledged. */
  sendMessages(topic: string, kind: RecordKind, messages: readonly WireMessage[]): Promise<SendSummary> {
    return this.track(this.publishMessages(topic, kind, messages));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private toMessages<K extends RecordKind>(schemaId: number, kind: K, records: readonly RecordOfKind[K][]): WireMessage[] {
    const values = encodeWireMany(v2Type(kind), schemaId, records);
    const messages = new Array<WireMessage>(values.length);
    for (let i = 0; i < values.length; i++) messages[i] = { key: this.keyOf(records[i]!.symbol), value: values[i]! };
    return messages;
  }

  private async publishMessages(topic: string, kind: RecordKind, messages: readonly WireMessage[]): Promise<SendSummary> {
    if (messages.length === 0) return { records: 0, bytes: 0 };
    let bytes = 0;
    for (let start = 0; start < messages.length; ) {
      // up to maxBatchRecords records and maxBatchBytes bytes, at least one record
      let end = start;
      let chunkBytes = 0;
      const maxEnd = Math.min(messages.length, start + this.maxBatchRecords);
      while (end < maxEnd) {
        const m = messages[end]!;
        const size = m.value.length + m.key.length + RECORD_OVERHEAD_BYTES;
        if (end > start && chunkBytes + size > this.maxBatchBytes) break;
        chunkBytes += size;
        bytes += m.value.length;
        end++;
      }
      const chunk = start === 0 && end === messages.length ? (messages as WireMessage[]) : messages.slice(start, end);
      start = end;
      try {
        await this.producer.send({ topic, acks: -1, compression: this.compression, messages: chunk });
      } catch (err) {
        throw new BusError(`publishing ${chunk.length} ${kind} records to ${topic} failed: ${(err as Error).message}`, { topic, kind }, { cause: err });
      }
    }
    this.logger.debug('bus: published', { topic, records: messages.length, bytes });
    return { records: messages.length, bytes };
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

  /**
   * Stops logging kafkajs's lines for this producer: its broker is known to be gone, and the
   * retries kafkajs keeps running for its sends would only repeat that.
   */
  muteKafkaLog(): void {
    this.kafkaLog.muted = true;
  }

  /** Sends still waiting for their acknowledgement. */
  get sendsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * Waits for the sends in progress, then disconnects. With `timeoutMs`, gives up waiting
   * after that long (a broker that is gone or hung keeps kafkajs retrying for ~20 s, and a
   * disconnect waits for requests in flight) and resolves false: the sends not acknowledged
   * by then are the caller's to account for, and kafkajs's retries may still be running.
   */
  async close(): Promise<void>;
  async close(timeoutMs: number): Promise<boolean>;
  async close(timeoutMs?: number): Promise<void | boolean> {
    if (timeoutMs === undefined) {
      await this.flush();
      await this.producer.disconnect();
      return;
    }
    const deadline = Date.now() + timeoutMs;
    const flushed = await settleWithin(this.flush(), timeoutMs);
    if (!flushed) this.logger.warn('bus: sends still unacknowledged at close; not waiting for them', { sends: this.inFlight.size, waited_ms: timeoutMs });
    const disconnected = await settleWithin(this.producer.disconnect(), Math.max(0, deadline - Date.now()));
    if (!disconnected) this.logger.warn('bus: producer disconnect did not finish in time (broker unreachable?); going on without it');
    if (!flushed || !disconnected) {
      // kafkajs goes on retrying the abandoned sends for a while (~20 s): their connection errors
      // would read as trouble with whatever the caller uses next
      this.kafkaLog.muted = true;
      this.logger.debug('bus: the abandoned producer\'s kafkajs log lines are muted from here on');
    }
    return flushed && disconnected;
  }
}
