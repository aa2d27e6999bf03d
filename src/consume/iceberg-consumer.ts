/**
 * `k2 consume`: market.* topics into the Iceberg tables, exactly once.
 *
 * The table is the source of truth for progress. Every snapshot's summary carries
 * `k2.offsets`, the next Kafka offset per partition that the table covers. On start
 * and after every rebalance the consumer seeks each assigned partition to the
 * table's offset (or the earliest offset when the table has none), so a crash
 * between the Iceberg commit and the Kafka group commit neither loses nor
 * duplicates rows. Group offsets are committed after each Iceberg commit only so
 * that lag is visible to Kafka tools.
 *
 * A commit is fenced: it is refused if the table already covers any offset this
 * consumer buffered (another group member took the partition over and committed
 * it), so even a stale consumer cannot write a range twice.
 *
 * Rows are deduplicated by (exchange, symbol, id) within a batch and against the
 * ids already committed in the same (exchange, symbol, day) slice of the table, so
 * a CSV loaded twice does not double the table. Undecodable records go to a
 * dead-letter file and never block their partition.
 *
 * Stopping does not depend on the broker: what is buffered is committed to Iceberg (which
 * needs no broker), then the group offsets, leaving the group and closing the admin client
 * are each waited for a bounded time, so a broker that went away cannot hold up a SIGINT
 * (kafkajs would retry for ~20 s); what did not finish is logged.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { BusAdmin, BusConsumer, RecordDecoder, SchemaRegistryClient, UndecodableRecordError, type BatchControl, type BusBatch, type BusEndpoints, type BusMessage, type TopicPartition } from '../bus/index.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import type { ColumnBatch, Int64Column } from '../iceberg/column-batch.js';
import { IcebergError } from '../iceberg/errors.js';
import { IcebergTableReader } from '../iceberg/table-reader.js';
import { openQuotesWriter, openTradesWriter, type IcebergTableWriter } from '../iceberg/table-writer.js';
import { tableDefinition, type TableDefinition, type TableName } from '../iceberg/table-definitions.js';
import type { Logger } from '../log/logger.js';
import { errorMessage } from '../model/errors.js';
import type { QuoteV2 } from '../model/quote.js';
import { parseTopicName } from '../model/topics.js';
import type { TradeV2 } from '../model/trade.js';
import { createMetricsRegistry } from '../metrics/registry.js';
import { v2SchemaString } from '../schema/v2-schemas.js';
import { AvroColumnDecoder } from './avro-column-decoder.js';
import { CommittedIdIndex } from './committed-id-index.js';
import { groupRowsBySlice } from './slice-rows.js';
import type { CompactIdSet } from './compact-id-set.js';
import { CommittedIdLoader } from './committed-id-loader.js';
import { ConsumerMetrics } from './consumer-metrics.js';
import { DeadLetterFile } from './dead-letter-file.js';
import { ConsumeError, FencedCommitError } from './errors.js';
import { OFFSETS_PROPERTY, getOffset, mergeOffsets, parseOffsets, serializeOffsets, setOffset, type OffsetMap } from './offsets.js';
import { SequenceTracker } from './sequence-tracker.js';
import { settleWithin } from '../resilience/deadline.js';
import { TableBuffer, tpKey } from './table-buffer.js';

export const DEFAULT_GROUP_ID = 'k2-iceberg';
/** trades and quotes topics; reference data has no table yet */
export const DEFAULT_TOPIC_PATTERN = /^market\.[a-z0-9_]+\.(trades|quotes)\.[a-z0-9_-]+$/;

export interface IcebergConsumerOptions {
  endpoints: BusEndpoints;
  catalog: Catalog;
  dataDir: string;
  logger: Logger;
  metricsRegistry?: Registry;
  groupId?: string;
  topicPattern?: RegExp;
  /** flush a table's buffer at this many rows (default 100k) */
  maxRows?: number;
  /** ...or when its oldest row waited this long (default 1000 ms) */
  maxDelayMs?: number;
  /** how often to look for new topics in continuous mode (default 5 s) */
  topicRefreshMs?: number;
  /** called after each successful commit (the demo and stream use it for stats) */
  onCommit?: (event: CommitEvent) => void;
}

export interface CommitEvent {
  table: TableName;
  rows: number;
  snapshotId: bigint;
  durationMs: number;
  /** ingestion_timestamp of the oldest row in the commit, micros */
  oldestIngestionMicros: bigint | null;
}

export interface ConsumeSummary {
  records_consumed: number;
  rows_committed: Record<TableName, number>;
  duplicates_dropped: number;
  dead_letters: number;
  dead_letter_file: string | null;
  commits: number;
  sequence_gaps: number;
  sequence_missing: string;
}

type AnyRecord = TradeV2 | QuoteV2;

interface TableState {
  name: TableName;
  writer: IcebergTableWriter<AnyRecord>;
  buffer: TableBuffer;
  /** decodes Avro bodies written with the v2 schema straight into the buffer's columns */
  columns: AvroColumnDecoder;
  flushing: Promise<void>;
  /** The last group offset commit of this table's topics (kept in order). */
  groupCommit: Promise<void>;
  ids: CommittedIdIndex;
}

const KIND_TABLE: Record<string, TableName> = { trades: 'trades_v2', quotes: 'quotes_v2' };
/** bytes of the Confluent wire header before the Avro body */
const WIRE_HEADER = 5;

/** The smallest value of a required int64 column's first n rows, or null when n is 0. */
function oldestValue(col: Int64Column, n: number): bigint | null {
  let at = -1;
  let min = Infinity;
  let exact = true;
  for (let i = 0; i < n; i++) {
    if (!col.isSafe(i)) exact = false;
    const v = col.numberAt(i);
    if (v < min) {
      min = v;
      at = i;
    }
  }
  if (at < 0) return null;
  if (exact) return col.values[at]!;
  let best = col.values[0]!;
  for (let i = 1; i < n; i++) if (col.values[i]! < best) best = col.values[i]!;
  return best;
}

const TABLE_KIND: Record<TableName, 'trades' | 'quotes'> = { trades_v2: 'trades', quotes_v2: 'quotes' };

function newBuffer(name: TableName): TableBuffer {
  return new TableBuffer(tableDefinition(name) as TableDefinition<object>);
}

/** How often runUntilCaughtUp reads the tables' snapshots for partitions other members write. */
const TABLE_CHECK_MS = 500;
/**
 * Once stop() is called: how long a group offset commit, leaving the group, and closing the
 * admin client may take each (a broker that went away makes kafkajs retry for ~20 s). Together
 * with the final Iceberg commit they keep `k2 consume` well inside its 10 s SIGINT budget.
 */
const STOP_GROUP_COMMIT_MS = 2_000;
const STOP_DISCONNECT_MS = 3_000;
const STOP_ADMIN_CLOSE_MS = 1_000;

export class IcebergConsumer {
  readonly metrics: ConsumerMetrics;
  private readonly log: Logger;
  private readonly maxRows: number;
  private readonly maxDelayMs: number;
  private readonly consumerId = randomUUID();
  private readonly tables: Record<TableName, TableState>;
  private readonly dlq: DeadLetterFile;
  private readonly sequences = new SequenceTracker();
  private readonly decoder: RecordDecoder;
  /** next offset per partition known to be in the tables (ours or read at assignment) */
  private readonly committed: OffsetMap = new Map();
  private consumer: BusConsumer | null = null;
  private subscribed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private restarting: Promise<void> | null = null;
  private stopped = false;
  private isStopping = false;
  /** Set by interruptCatchUp(): runUntilCaughtUp returns at its next step. */
  private catchUpInterrupted = false;
  /** Resolves when stop() is called: waits on the broker are cut short from then on. */
  private readonly stopRequested: Promise<void>;
  private requestStop!: () => void;
  private fatal: Error | null = null;
  private readonly summary: ConsumeSummary;
  private lastSequenceExchange = '';
  private lastSequenceSymbol = '';
  private lastSequenceKey = '';

  private constructor(
    private readonly opts: IcebergConsumerOptions,
    private readonly admin: BusAdmin,
    private readonly idLoader: CommittedIdLoader,
    trades: IcebergTableWriter<TradeV2>,
    quotes: IcebergTableWriter<QuoteV2>,
  ) {
    this.log = opts.logger.child({ component: 'consume' });
    this.stopRequested = new Promise<void>((resolve) => (this.requestStop = resolve));
    this.metrics = new ConsumerMetrics(opts.metricsRegistry ?? createMetricsRegistry());
    this.maxRows = opts.maxRows ?? 100_000;
    this.maxDelayMs = opts.maxDelayMs ?? 1000;
    this.decoder = new RecordDecoder(new SchemaRegistryClient(opts.endpoints.registryUrl));
    const state = (name: TableName, writer: IcebergTableWriter<AnyRecord>): TableState => ({
      name,
      writer,
      buffer: newBuffer(name),
      columns: new AvroColumnDecoder(
        v2SchemaString(TABLE_KIND[name]),
        tableDefinition(name).columns.map((c) => c.name),
      ),
      flushing: Promise.resolve(),
      groupCommit: Promise.resolve(),
      ids: new CommittedIdIndex((slices) => idLoader.load(name, slices)),
    });
    this.tables = {
      trades_v2: state('trades_v2', trades as IcebergTableWriter<AnyRecord>),
      quotes_v2: state('quotes_v2', quotes as IcebergTableWriter<AnyRecord>),
    };
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    this.dlq = new DeadLetterFile(join(opts.dataDir, 'dead-letter'), `consume-${stamp}-${this.consumerId.slice(0, 8)}.jsonl`);
    this.summary = {
      records_consumed: 0,
      rows_committed: { trades_v2: 0, quotes_v2: 0 },
      duplicates_dropped: 0,
      dead_letters: 0,
      dead_letter_file: null,
      commits: 0,
      sequence_gaps: 0,
      sequence_missing: '0',
    };
  }

  static async start(opts: IcebergConsumerOptions): Promise<IcebergConsumer> {
    const t0 = performance.now();
    const parts = await Promise.allSettled([
      BusAdmin.connect(opts.endpoints, opts.logger),
      CommittedIdLoader.create(opts.catalog),
      openTradesWriter(opts.catalog),
      openQuotesWriter(opts.catalog),
    ] as const);
    const [admin, idLoader, trades, quotes] = parts;
    if (admin.status === 'rejected' || idLoader.status === 'rejected' || trades.status === 'rejected' || quotes.status === 'rejected') {
      // close what did open: a connected kafkajs client or a DuckDB instance keeps the process alive
      if (admin.status === 'fulfilled') await admin.value.close().catch(() => undefined);
      if (idLoader.status === 'fulfilled') idLoader.value.close();
      for (const w of [trades, quotes]) if (w.status === 'fulfilled') await w.value.close().catch(() => undefined);
      throw parts.find((p): p is PromiseRejectedResult => p.status === 'rejected')!.reason;
    }
    const t1 = performance.now();
    const c = new IcebergConsumer(opts, admin.value, idLoader.value, trades.value, quotes.value);
    try {
      await c.connectConsumer();
    } catch (err) {
      await c.closeResources();
      throw err;
    }
    c.log.debug('consumer started', { init_ms: Math.round(t1 - t0), join_ms: Math.round(performance.now() - t1) });
    c.timer = setInterval(() => c.flushDue(), Math.max(20, Math.floor(c.maxDelayMs / 4)));
    return c;
  }

  private pattern(): RegExp {
    return this.opts.topicPattern ?? DEFAULT_TOPIC_PATTERN;
  }

  private async matchingTopics(): Promise<string[]> {
    return (await this.admin.listTopics()).filter((t) => this.pattern().test(t)).sort();
  }

  private async connectConsumer(): Promise<void> {
    const topics = await this.matchingTopics();
    this.subscribed = new Set(topics);
    if (topics.length === 0) {
      this.log.info('no market topics yet; waiting for them');
      return;
    }
    const consumer = await BusConsumer.connect(this.opts.endpoints, {
      groupId: this.opts.groupId ?? DEFAULT_GROUP_ID,
      topics,
      logger: this.opts.logger,
      fromBeginning: true,
      onAssigned: (assignment) => this.onAssigned(assignment),
      maxWaitMs: Math.min(500, this.maxDelayMs),
    });
    if (this.stopped) {
      // stopped while connecting (a restart): do not leave a consumer running behind
      await consumer.disconnect(STOP_DISCONNECT_MS).catch(() => undefined);
      return;
    }
    this.consumer = consumer;
    await consumer.run((batch, ctl) => this.onBatch(batch, ctl));
    this.log.info('consuming', { topics: topics.join(','), group: this.opts.groupId ?? DEFAULT_GROUP_ID });
  }

  /** After a rebalance: drop what was buffered and resume every partition from the table. */
  private async onAssigned(assignment: TopicPartition[]): Promise<void> {
    for (const t of Object.values(this.tables)) {
      t.buffer = newBuffer(t.name);
      t.ids.clear();
    }
    // what was buffered is read again: its sequences are not out of order
    this.sequences.reset();
    const tableOffsets = new Map<TableName, OffsetMap>();
    for (const name of Object.keys(this.tables) as TableName[]) {
      const reader = await IcebergTableReader.open(this.opts.catalog, name);
      tableOffsets.set(name, parseOffsets(reader?.latestSnapshotProperty(OFFSETS_PROPERTY)));
    }
    const earliestCache = new Map<string, Map<number, bigint>>();
    for (const tp of assignment) {
      const table = this.tableForTopic(tp.topic);
      if (table === null) continue;
      let offset = getOffset(tableOffsets.get(table.name)!, tp.topic, tp.partition);
      if (offset === undefined) {
        let earliest = earliestCache.get(tp.topic);
        if (earliest === undefined) {
          earliest = new Map((await this.admin.partitionOffsets(tp.topic)).map((p) => [p.partition, p.earliest]));
          earliestCache.set(tp.topic, earliest);
        }
        offset = earliest.get(tp.partition) ?? 0n;
      } else {
        setOffset(this.committed, tp.topic, tp.partition, offset);
      }
      this.consumer?.seek({ topic: tp.topic, partition: tp.partition, offset });
      this.log.debug('resume partition from table offset', { topic: tp.topic, partition: tp.partition, offset });
    }
    this.log.info('partitions assigned', { partitions: assignment.length });
  }

  private tableForTopic(topic: string): TableState | null {
    const parsed = parseTopicName(topic);
    const name = parsed === null ? undefined : KIND_TABLE[parsed.kind];
    return name === undefined ? null : this.tables[name];
  }

  private async onBatch(batch: BusBatch, ctl: BatchControl): Promise<void> {
    if (this.stopped || this.fatal !== null) return;
    const table = this.tableForTopic(batch.topic);
    const parsed = parseTopicName(batch.topic);
    if (table === null || parsed === null) return;
    const kind = parsed.kind as 'trades' | 'quotes';
    const messages = batch.messages;
    // The only await: plans for schema ids not seen before. Rows are then decoded and
    // buffered synchronously, so a flush never sees a buffer half-filled by this batch.
    const unprepared = this.unpreparedSchemaIds(kind, messages);
    if (unprepared !== undefined) {
      await this.decoder.prepare(kind, unprepared);
      if (ctl.isStale() || this.stopped) return;
    }
    const accepted = this.acceptMessages(batch, kind, table);
    const buffer = table.buffer;
    const first = messages[0]!.offset;
    const next = messages[messages.length - 1]!.offset + 1n;
    buffer.noteMessages(batch.topic, batch.partition, first, next, performance.now());
    this.summary.records_consumed += messages.length;
    this.metrics.recordsConsumed.inc({ topic: batch.topic }, messages.length);
    this.metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.highWatermark - next));
    if (accepted > 0 && buffer.length >= this.maxRows) {
      // Double buffering: the full buffer is written and committed while the next one
      // fills; fetching waits only if the flush before this one is still running.
      const previous = table.flushing;
      this.flush(table).catch((err: unknown) => this.fail(err));
      await previous.catch(() => undefined);
    }
  }

  /** The schema ids of `messages` the decoder has no plan for yet (undefined: none). */
  private unpreparedSchemaIds(kind: 'trades' | 'quotes', messages: readonly BusMessage[]): Set<number> | undefined {
    let unprepared: Set<number> | undefined;
    let lastId = -2;
    for (const m of messages) {
      const id = RecordDecoder.frameSchemaIdAt(m.valueBuffer, m.valueStart, m.valueEnd);
      if (id === lastId) continue;
      lastId = id;
      if (!this.decoder.isPrepared(kind, id)) (unprepared ??= new Set()).add(id);
    }
    return unprepared;
  }

  /**
   * Decodes and buffers a batch's rows (synchronously, so a flush never sees a buffer half
   * filled by it); dead-letters what cannot be decoded. Returns how many rows were accepted.
   * The per-message loop is kept out of the async onBatch, so that V8 optimizes this
   * function alone instead of the whole async one (decisions.md).
   */
  private acceptMessages(batch: BusBatch, kind: 'trades' | 'quotes', table: TableState): number {
    const messages = batch.messages;
    const buffer = table.buffer;
    const rows = buffer.batch;
    const columns = table.columns;
    let accepted = 0;
    let directId = -2;
    let direct = false;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      // the value's bytes where the fetch left them: a Buffer is made only for the generic path
      const bytes = m.valueBuffer;
      const start = m.valueStart;
      const end = m.valueEnd;
      const schemaId = RecordDecoder.frameSchemaIdAt(bytes, start, end);
      if (schemaId !== directId) {
        directId = schemaId;
        direct = schemaId >= 0 && this.decoder.readsDirectly(kind, schemaId);
      }
      if (!direct || !columns.decode(rows, bytes!, start + WIRE_HEADER, end)) {
        const value = m.value;
        const malformed = direct ? columns.malformedReason : null;
        if (malformed !== null) {
          this.deadLetter(batch.topic, batch.partition, m.offset, m.key, value, 'avro', `cannot decode Avro body: ${malformed}`);
          continue;
        }
        // the generic path: another schema version, or anything the column decoder leaves to it
        try {
          rows.stageRow(this.decoder.decodeSync(kind, value));
        } catch (err) {
          if (err instanceof UndecodableRecordError) this.deadLetter(batch.topic, batch.partition, m.offset, m.key, value, err.reason, errorMessage(err));
          else if (err instanceof IcebergError) this.deadLetter(batch.topic, batch.partition, m.offset, m.key, value, 'invalid', errorMessage(err));
          else throw err;
          continue;
        }
      }
      if (!buffer.acceptStaged()) {
        this.metrics.duplicatesDropped.inc({ table: table.name, where: 'batch' });
        this.summary.duplicates_dropped++;
        continue;
      }
      accepted++;
      if (kind === 'trades') this.observeSequence(rows, rows.length - 1);
    }
    return accepted;
  }

  /** Gap detection on source_sequence per (exchange, symbol), for trade row i. */
  private observeSequence(rows: ColumnBatch, i: number): void {
    const seq = rows.int64('source_sequence');
    if (seq.isNull(i)) return;
    const exchange = rows.codes('exchange').valueAt(i) as string;
    const symbol = rows.codes('symbol').valueAt(i) as string;
    const key = exchange === this.lastSequenceExchange && symbol === this.lastSequenceSymbol ? this.lastSequenceKey : `${exchange}|${symbol}`;
    this.lastSequenceExchange = exchange;
    this.lastSequenceSymbol = symbol;
    this.lastSequenceKey = key;
    const ev = this.sequences.observe(key, seq.values[i]!);
    if (ev.kind === 'in_order') return;
    this.metrics.sequenceEvents.inc({ kind: ev.kind });
    if (ev.kind === 'gap') {
      this.metrics.sequenceMissing.inc(Number(ev.missing));
      this.summary.sequence_gaps++;
      this.summary.sequence_missing = (BigInt(this.summary.sequence_missing) + ev.missing).toString();
      this.log.warn('sequence gap', { exchange, symbol, from: ev.from, to: ev.to, missing: ev.missing });
    } else if (ev.kind === 'out_of_order') {
      this.log.warn('sequence out of order', { exchange, symbol, sequence: ev.sequence, last: ev.last });
    } else {
      this.log.debug('sequence duplicate', { exchange, symbol, sequence: ev.sequence });
    }
  }

  private deadLetter(topic: string, partition: number, offset: bigint, key: Buffer | null, value: Buffer | null, reason: string, error: string): void {
    this.dlq.write({
      topic,
      partition,
      offset: offset.toString(),
      error,
      payload_base64: value === null ? '' : value.toString('base64'),
      key: key === null ? null : key.toString('utf8'),
    });
    this.summary.dead_letters++;
    this.summary.dead_letter_file = this.dlq.path;
    this.metrics.deadLetters.inc({ topic, reason });
    this.log.warn('record dead-lettered', { topic, partition, offset, reason, file: this.dlq.path });
  }

  private flushDue(): void {
    const now = performance.now();
    for (const t of Object.values(this.tables)) {
      if (t.buffer.firstAt !== null && now - t.buffer.firstAt >= this.maxDelayMs) {
        this.flush(t).catch((err: unknown) => this.fail(err));
      }
    }
  }

  private fail(err: unknown): void {
    if (this.fatal === null) {
      this.fatal = err instanceof Error ? err : new Error(String(err));
      this.log.error('consumer failed', { error: errorMessage(err) });
    }
  }

  /** Serializes flushes per table; a flush takes the buffer as it is now. */
  private flush(t: TableState): Promise<void> {
    t.flushing = t.flushing.then(() => this.doFlush(t));
    return t.flushing;
  }

  private async doFlush(t: TableState): Promise<void> {
    const buf = t.buffer;
    if (buf.isEmpty) return;
    t.buffer = newBuffer(t.name);
    const started = performance.now();
    const batch = buf.batch;
    const n = batch.length;
    // Group the rows by (exchange, symbol, day) once; each group is checked against that
    // slice's committed ids (the anti-join), and its ids are added after the commit.
    const groups = groupRowsBySlice(batch);
    await t.ids.prepare([...groups.values()].map((g) => g.slice));
    const prepared = performance.now();
    const keep = new Uint8Array(n).fill(1);
    let known = 0;
    const accepted: Array<{ ids: CompactIdSet; rows: number[] }> = [];
    for (const g of groups.values()) {
      const ids = t.ids.idsOf(g.slice);
      if (ids === undefined) continue;
      known += buf.markKnown(ids, g.rows, keep);
      accepted.push({ ids, rows: g.rows });
    }
    const rows = known > 0 ? batch.select(keep) : batch;
    if (known > 0) {
      this.metrics.duplicatesDropped.inc({ table: t.name, where: 'table' }, known);
      this.summary.duplicates_dropped += known;
      this.log.info('dropped rows already in the table', { table: t.name, rows: known });
    }
    this.dlq.sync();
    let result;
    let written = prepared;
    try {
      const entries = await t.writer.writeBatchFiles(rows);
      written = performance.now();
      result = await t.writer.commitDataFiles(entries, {
        properties: (base) => {
          const reader = IcebergTableReader.fromMetadata(t.name, base, '');
          const baseOffsets = parseOffsets(reader.latestSnapshotProperty(OFFSETS_PROPERTY));
          for (const f of buf.firstOffsets.values()) {
            const b = getOffset(baseOffsets, f.topic, f.partition);
            if (b !== undefined && b > f.offset) {
              throw new FencedCommitError(`table ${t.name} already covers ${f.topic}[${f.partition}] up to ${b}; this consumer buffered from ${f.offset}`, {
                table: t.name,
                topic: f.topic,
                partition: f.partition,
              });
            }
          }
          return { [OFFSETS_PROPERTY]: serializeOffsets(mergeOffsets(baseOffsets, buf.pending)), 'k2.writer': this.consumerId };
        },
      });
    } catch (err) {
      if (err instanceof FencedCommitError) {
        this.metrics.commits.inc({ table: t.name, result: 'fenced' });
        this.log.warn('commit fenced: another consumer committed these offsets; dropping the buffer', { table: t.name, reason: err.message });
        return;
      }
      this.metrics.commits.inc({ table: t.name, result: 'error' });
      throw new ConsumeError(`commit to ${t.name} failed: ${errorMessage(err)}`, { table: t.name }, { cause: err });
    }
    const durationMs = performance.now() - started;
    for (const a of accepted) buf.addKeptIds(a.ids, a.rows, keep);
    for (const [topic, parts] of buf.pending) for (const [p, o] of parts) setOffset(this.committed, topic, p, o);
    const oldest = oldestValue(rows.int64('ingestion_timestamp'), rows.length);
    this.summary.rows_committed[t.name] += rows.length;
    this.summary.commits++;
    this.metrics.rowsCommitted.inc({ table: t.name }, rows.length);
    this.metrics.commits.inc({ table: t.name, result: 'ok' });
    this.metrics.commitLatency.observe({ table: t.name }, durationMs / 1000);
    this.metrics.lastCommitTimestamp.set({ table: t.name }, Date.now() / 1000);
    this.log.debug('committed', {
      table: t.name,
      rows: rows.length,
      snapshot: result.snapshotId,
      ms: Math.round(durationMs),
      ids_ms: Math.round(prepared - started),
      write_ms: Math.round(written - prepared),
      commit_ms: Math.round(performance.now() - written),
      files: result.addedDataFiles,
      heap_mb: Math.round(process.memoryUsage().heapTotal / 1e6),
      rss_mb: Math.round(process.memoryUsage.rss() / 1e6),
    });
    this.opts.onCommit?.({ table: t.name, rows: rows.length, snapshotId: result.snapshotId, durationMs, oldestIngestionMicros: oldest });
    // Group offsets only make lag visible to Kafka tools; the table is the truth.
    const offsets = [...buf.pending].flatMap(([topic, parts]) => [...parts].map(([partition, offset]) => ({ topic, partition, offset })));
    await this.commitGroupOffsets(t, offsets);
  }

  /**
   * Commits group offsets after an Iceberg commit, in order per table. Waited for in full
   * while running; once stop() is called, for STOP_GROUP_COMMIT_MS at most (the broker may be
   * gone: the table's k2.offsets are the source of truth, so the rows are safe either way).
   */
  private async commitGroupOffsets(t: TableState, offsets: Array<{ topic: string; partition: number; offset: bigint }>): Promise<void> {
    const consumer = this.consumer;
    if (consumer === null || offsets.length === 0) return;
    let error: unknown = null;
    const commit = t.groupCommit.then(() => consumer.commitOffsets(offsets)).catch((err: unknown) => {
      error = err;
    });
    t.groupCommit = commit;
    const settled = await Promise.race([commit.then(() => true), this.stopRequested.then(() => settleWithin(commit, STOP_GROUP_COMMIT_MS))]);
    const stopping = this.stopped || this.isStopping;
    if (!settled) {
      this.log.warn("group offsets not committed to Kafka in time (broker unreachable?); the rows are committed to Iceberg and the table's k2.offsets are the source of truth", {
        table: t.name,
        waited_ms: STOP_GROUP_COMMIT_MS,
      });
    } else if (error !== null) {
      if (stopping) this.log.warn("group offsets not committed to Kafka; the rows are committed to Iceberg and the table's k2.offsets are the source of truth", { table: t.name, error: errorMessage(error) });
      else this.log.debug('group offset commit skipped', { error: errorMessage(error) });
    }
  }

  /** Flushes every table now. */
  async flushAll(): Promise<void> {
    await Promise.all(Object.values(this.tables).map((t) => this.flush(t)));
  }

  /** The next offset after what the table buffers hold of a partition (-1 when they hold none of it). */
  private bufferedUpTo(topic: string, partition: number): bigint {
    let upTo = -1n;
    for (const t of Object.values(this.tables)) {
      const o = getOffset(t.buffer.pending, topic, partition);
      if (o !== undefined && o > upTo) upTo = o;
    }
    return upTo;
  }

  /** The next offset per partition that the tables are known to cover. */
  committedOffsets(): OffsetMap {
    return mergeOffsets(this.committed, new Map());
  }

  /**
   * Consumes until every partition of the matching topics is in the tables up to
   * the high watermark seen when this is called (`--once`). New topics created
   * before the call are picked up. A partition another member of the group owns
   * counts as caught up once the tables' latest snapshots record it (read every
   * `TABLE_CHECK_MS`), so a member sharing the group does not wait for rows that are
   * not its to write. Returns early, with the summary so far, if the consumer is stopped or
   * the catch-up is interrupted (interruptCatchUp).
   */
  async runUntilCaughtUp(pollMs = 50): Promise<ConsumeSummary> {
    const topics = await this.matchingTopics();
    if (topics.some((t) => !this.subscribed.has(t))) await this.restartConsumer();
    const targets: Array<{ topic: string; partition: number; latest: bigint }> = [];
    for (const topic of topics) {
      for (const p of await this.admin.partitionOffsets(topic)) {
        if (p.latest > p.earliest) targets.push({ topic, partition: p.partition, latest: p.latest });
      }
    }
    let inTables: OffsetMap = new Map();
    let nextTableCheck = performance.now() + TABLE_CHECK_MS;
    const covered = (t: { topic: string; partition: number; latest: bigint }): boolean =>
      (getOffset(this.committed, t.topic, t.partition) ?? -1n) >= t.latest || (getOffset(inTables, t.topic, t.partition) ?? -1n) >= t.latest;
    for (;;) {
      if (this.fatal !== null) throw this.fatal;
      if (this.stopped || this.catchUpInterrupted) return this.getSummary();
      const behind = targets.filter((t) => !covered(t));
      if (behind.length === 0) break;
      // everything still missing is buffered: commit it now rather than after --max-delay
      if (behind.every((t) => this.bufferedUpTo(t.topic, t.partition) >= t.latest)) await this.flushAll();
      else if (performance.now() >= nextTableCheck) {
        inTables = await this.tableOffsets();
        nextTableCheck = performance.now() + TABLE_CHECK_MS;
      } else await new Promise((r) => setTimeout(r, pollMs));
    }
    await this.flushAll();
    return this.getSummary();
  }

  /**
   * Makes a runUntilCaughtUp in progress return at its next step (after the flush or wait
   * under way), so that stop() can follow it instead of running beside it.
   */
  interruptCatchUp(): void {
    this.catchUpInterrupted = true;
  }

  /** The offsets the latest snapshot of each table records, whoever committed them, merged. */
  private async tableOffsets(): Promise<OffsetMap> {
    let merged: OffsetMap = new Map();
    for (const name of Object.keys(this.tables) as TableName[]) {
      const reader = await IcebergTableReader.open(this.opts.catalog, name);
      merged = mergeOffsets(merged, parseOffsets(reader?.latestSnapshotProperty(OFFSETS_PROPERTY)));
    }
    return merged;
  }

  /** Continuous mode: watches for new market topics and rejoins to include them. */
  watchTopics(): void {
    const every = this.opts.topicRefreshMs ?? 5000;
    this.refreshTimer = setInterval(() => {
      if (this.restarting !== null || this.stopped) return;
      this.matchingTopics()
        .then(async (topics) => {
          if (topics.some((t) => !this.subscribed.has(t))) await this.restartConsumer();
        })
        .catch((err: unknown) => this.log.warn('topic refresh failed', { error: errorMessage(err) }));
    }, every);
  }

  private async restartConsumer(): Promise<void> {
    if (this.restarting !== null) return this.restarting;
    this.restarting = (async () => {
      const old = this.consumer;
      this.consumer = null;
      if (old !== null) {
        await this.flushAll();
        await old.disconnect();
      }
      await this.connectConsumer();
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  /** Throws the error that stopped the consumer, if any. */
  checkHealthy(): void {
    if (this.fatal !== null) throw this.fatal;
  }

  getSummary(): ConsumeSummary {
    return { ...this.summary, rows_committed: { ...this.summary.rows_committed } };
  }

  /**
   * Flushes and commits what is buffered to Iceberg, then leaves the group. The waits on the
   * broker are bounded (see STOP_*_MS), so this returns promptly when the broker is gone.
   */
  async stop(): Promise<ConsumeSummary> {
    this.isStopping = true;
    this.requestStop();
    if (this.timer !== null) clearInterval(this.timer);
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    if (this.restarting !== null && !(await settleWithin(this.restarting, STOP_DISCONNECT_MS))) {
      this.log.warn('rejoining the group did not finish (broker unreachable?); stopping without it');
    }
    let flushError: unknown = null;
    if (this.fatal === null) await this.flushAll().catch((err: unknown) => (flushError = err));
    this.stopped = true;
    const consumer = this.consumer;
    const leave = async (): Promise<void> => {
      if (consumer === null) return;
      const left = await consumer.disconnect(STOP_DISCONNECT_MS).catch((err: unknown) => {
        this.log.warn('consumer disconnect failed', { error: errorMessage(err) });
        return true;
      });
      if (!left) this.log.warn('leaving the consumer group did not finish in time (broker unreachable?); stopping without it', { waited_ms: STOP_DISCONNECT_MS });
    };
    // nothing is fetched or flushed once stopped: the rest closes while the group is left
    await Promise.all([leave(), this.closeResources(STOP_ADMIN_CLOSE_MS)]);
    if (flushError !== null) throw flushError;
    return this.getSummary();
  }

  /** Closes the admin client (waiting at most `adminTimeoutMs` if given), the writers, the id loader and the dead-letter file. */
  private async closeResources(adminTimeoutMs?: number): Promise<void> {
    if (adminTimeoutMs === undefined) await this.admin.close().catch(() => undefined);
    else await this.admin.close(adminTimeoutMs).catch(() => undefined);
    await Promise.all(Object.values(this.tables).map((t) => t.writer.close()));
    this.idLoader.close();
    this.dlq.close();
  }
}
