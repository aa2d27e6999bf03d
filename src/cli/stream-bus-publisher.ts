/**
 * Where `k2 stream binance` publishes: the bus (kafkajs), with the in-process Iceberg
 * consumer in embedded mode, and the re-homing of the stream when the k2 process serving a
 * borrowed bus exits (BusPublisher).
 */

import type { Registry } from 'prom-client';
import { BusAdmin, BusError, publishSealed, publishTagged, sealTagged, startBus, tradeSealer, unsealTagged, RecordProducer, SchemaRegistryClient, type BusSession, type SealedTagged, type TradeQuoteTopics } from '../bus/index.js';
import type { GlobalOptions } from '../config/global-options.js';
import { BackgroundConsumer } from '../consume/background-consumer.js';
import { ConsumerMetrics } from '../consume/consumer-metrics.js';
import { ConsumeError } from '../consume/errors.js';
import type { Logger } from '../log/logger.js';
import { mirrorMetrics, type MetricJson } from '../metrics/metrics-mirror.js';
import { createMetricsRegistry } from '../metrics/registry.js';
import { errorMessage } from '../model/errors.js';
import type { TaggedRecord } from '../model/record-kind.js';
import { topicName, valueSubject } from '../model/topics.js';
import { settleWithin } from '../resilience/deadline.js';
import { v2SchemaString } from '../schema/v2-schemas.js';
import { BINANCE_EXCHANGE } from '../sources/binance/mapper.js';
import type { RecordSink, SealingSink, TradeBodySealer } from '../sources/binance/record-sink.js';
import { embeddedConsumerConfig } from './shared-options.js';

/** How long closing the producer may wait for sends in flight and its disconnect. */
const PRODUCER_CLOSE_MS = 1_000;
/** Of the close budget, how long the in-process Iceberg consumer may take to catch up... */
const LAKE_CATCH_UP_MS = 5_000;
/** Closing without a deadline for the consumer: it catches up while it commits, and stops once this passes without a commit. */
const LAKE_STALL_MS = 5_000;
/** ...leaving it at least this long to commit what it has when it is told to stop. */
const LAKE_COMMIT_MARGIN_MS = 1_500;
/** Rows per Iceberg flush of the stream's consumer (it flushes every second anyway). */
const LAKE_MAX_ROWS = 25_000;

/** What the publisher needs beyond the globals: the Iceberg side of embedded mode. */
export interface PublisherOptions {
  registryUrl: string | undefined;
  /** --catalog value, if given */
  catalog?: string;
  /** run the Iceberg consumer in this process (embedded mode only; false with --no-consume) */
  consume: boolean;
  /** the command's metrics registry, so /metrics shows the consumer too */
  metricsRegistry?: Registry;
}

/** Where the stream's records go, and how that ends. */
export interface StreamPublishSession {
  sink: RecordSink;
  /** What the records are published to, for the log. */
  target: string;
  /**
   * Flushes and disconnects. With `deadlineAt` (epoch ms) it does not wait past it for a
   * broker that is gone or hung (the stream has dead-lettered what was not acknowledged).
   * With `lakeUntilCaughtUp`, the Iceberg consumer (embedded mode) is not held to the
   * deadline: it catches up with everything published for as long as it keeps committing.
   */
  close(deadlineAt?: number, opts?: { lakeUntilCaughtUp?: boolean }): Promise<void>;
  /** A close in progress stops waiting for the Iceberg consumer to catch up (it commits what it has). */
  hurry?(): void;
}

/**
 * Publishes trades and quotes to their v2 topics through the bus (kafkajs).
 *
 * Without --brokers the bus may be borrowed from another k2 process serving the data dir
 * (`k2 broker`, another `k2 stream binance`, a demo). When that process exits, the stream
 * re-homes: it starts the data dir's bus itself (the topic data and the registry's schemas
 * are in the data dir) or borrows the bus of a new live owner, connects a new producer and
 * restarts the Iceberg consumer there; the stream client's publish retry then succeeds on
 * the new producer (see BusPublisher).
 */
export async function openBusPublisher(globals: GlobalOptions, logger: Logger, opts: PublisherOptions): Promise<StreamPublishSession> {
  const topics = { trades: topicName('crypto', 'trades', BINANCE_EXCHANGE), quotes: topicName('crypto', 'quotes', BINANCE_EXCHANGE) };
  const home = await openBusHome(globals, logger, opts, topics);
  const publisher = new BusPublisher(home, globals, logger, opts, topics);
  if (home.lake !== null && opts.metricsRegistry !== undefined) {
    // the consumer's metrics in /metrics, once, from the consumer of the current home
    try {
      const template = createMetricsRegistry();
      new ConsumerMetrics(template);
      await mirrorMetrics(opts.metricsRegistry, template, () => publisher.lakeMetrics());
    } catch (err) {
      await publisher.close().catch(() => undefined);
      throw err;
    }
  }
  return {
    sink: publisher.sink,
    target: homeTarget(home, topics),
    close: (deadlineAt?: number, closeOpts?: { lakeUntilCaughtUp?: boolean }) => publisher.close(deadlineAt, closeOpts?.lakeUntilCaughtUp === true),
    hurry: () => publisher.hurry(),
  };
}

/** How often the host of a borrowed bus is checked for being alive. */
const HOST_CHECK_MS = 500;
/** After a failed re-homing, the wait before the next attempt: doubling from this... */
const REHOME_RETRY_MS = 1_000;
/** ...up to this. */
const REHOME_RETRY_MAX_MS = 15_000;
/** How long a re-homing waits for the old bus's Iceberg consumer to commit what it buffered. */
const OLD_LAKE_STOP_MS = 5_000;

/** One bus the stream publishes to: its session, producer, schema ids and (data dir bus) Iceberg consumer. */
interface BusHome {
  bus: BusSession;
  producer: RecordProducer;
  lake: BackgroundConsumer | null;
  /** The registry ids of the topics' value schemas, as the producer encodes them. */
  schemaIds: { trades: number; quotes: number };
  /** Set once the host of this (borrowed) bus is known to have exited. */
  gone: boolean;
  /** Rejects once `gone` is set: publishes in flight on this bus stop waiting for kafkajs's retries. */
  goneSignal: Promise<never>;
  markGone(err: Error): void;
  /** Its consumer was stopped and its producer let go (re-homing). */
  retired: boolean;
}

/** A batch sealed by the producer of a bus home (its packed values carry that registry's schema ids). */
interface SealedOnBus {
  home: BusHome;
  sealed: SealedTagged;
}

function homeTarget(home: BusHome, topics: TradeQuoteTopics): string {
  const { bus } = home;
  return `${bus.embedded ? 'embedded broker' : bus.host !== undefined ? `the bus of ${bus.host.describe}` : bus.endpoints.brokers.join(',')} (${topics.trades}, ${topics.quotes})${home.lake !== null ? ' -> Iceberg' : ''}`;
}

/** Starts (or finds) the bus, connects a producer, prepares the topics and starts the in-process Iceberg consumer. */
async function openBusHome(globals: GlobalOptions, logger: Logger, opts: PublisherOptions, topics: TradeQuoteTopics): Promise<BusHome> {
  const bus: BusSession = await startBus({ globals, logger, registryUrl: opts.registryUrl, owner: 'k2 stream binance' });
  // The data dir's own bus, started here or served by another k2 process (`k2 broker`, a demo):
  // either way the rows belong in this data dir's tables, so the consumer runs here too
  // (in the group of any consumer running there).
  const dataDirBus = bus.mode !== 'external';
  const registry = new SchemaRegistryClient(bus.endpoints.registryUrl);
  let producer: RecordProducer;
  try {
    producer = await RecordProducer.connect(bus.endpoints, { logger, embedded: bus.embedded, clientId: 'k2-stream-binance', registry });
  } catch (err) {
    await bus.close();
    throw err;
  }
  // Embedded mode: the Iceberg consumer runs in this process, on a worker thread (its own
  // kafkajs client, catalog and DuckDB), so the rows land in the tables while the main
  // thread keeps the socket, the conversion, the producer and the broker.
  let lake: BackgroundConsumer | null = null;
  let schemaIds: BusHome['schemaIds'];
  try {
    // topics and schemas before the first frame, not on the first publish (the socket is
    // busiest then and the stream would back up behind the registry round trip)
    if (dataDirBus) {
      const admin = await BusAdmin.connect(bus.endpoints, logger);
      await admin.createTopics([{ topic: topics.trades }, { topic: topics.quotes }]).finally(() => admin.close());
    }
    await Promise.all([producer.prepare(topics.trades, 'trades'), producer.prepare(topics.quotes, 'quotes')]);
    // the registry client caches what prepare() registered: these are the ids the producer encodes with
    const [trades, quotes] = await Promise.all([
      registry.register(valueSubject(topics.trades), v2SchemaString('trades')),
      registry.register(valueSubject(topics.quotes), v2SchemaString('quotes')),
    ]);
    schemaIds = { trades, quotes };
  } catch (err) {
    await producer.close();
    await bus.close();
    throw err;
  }
  if (dataDirBus && opts.consume) {
    try {
      // at most two flushes of decoded rows in memory (one being written, one filling): bounds RSS
      // (its metrics are mirrored by the BusPublisher, from whichever home is current)
      lake = BackgroundConsumer.start(embeddedConsumerConfig(globals, bus.endpoints, opts.catalog, { maxRows: LAKE_MAX_ROWS }));
    } catch (err) {
      await lake?.stop().catch(() => undefined);
      await producer.close();
      await bus.close();
      throw err;
    }
  }
  let markGone!: (err: Error) => void;
  const goneSignal = new Promise<never>((_, reject) => (markGone = reject));
  goneSignal.catch(() => undefined);
  const home: BusHome = {
    bus,
    producer,
    lake,
    schemaIds,
    gone: false,
    goneSignal,
    markGone: (err) => {
      home.gone = true;
      markGone(err);
    },
    retired: false,
  };
  return home;
}

/**
 * The stream's sink over the current bus home, which it replaces when the host of a borrowed
 * bus exits (checked every HOST_CHECK_MS, and when a publish fails): one WARN line naming the
 * process, then `startBus` again, a new producer, the topics, and the Iceberg consumer
 * restarted against the new endpoints. One re-homing at a time (every caller waits for the
 * same one); a failed one is logged and tried again later (REHOME_RETRY_MS, doubling), never
 * in a tight loop; meanwhile publishes fail and the stream client retries them. Sealed
 * batches remember the home that sealed them: published on another one whose registry gave
 * other schema ids, they are re-encoded first. A bus started here (in-process) or given by
 * --brokers (external) has no host to lose: nothing changes for them.
 */
class BusPublisher {
  readonly sink: SealingSink<SealedOnBus>;
  private home: BusHome;
  private rehoming: Promise<BusHome> | null = null;
  private nextAttemptAt = 0;
  private retryMs = REHOME_RETRY_MS;
  /** No new re-homing once closing; one in progress is still waited for. */
  private closing = false;
  /** Closed: a re-homing that finishes now closes what it opened. */
  private closed = false;
  private readonly watch: ReturnType<typeof setInterval>;
  private idsDifferLogged = false;
  private sealerHome: BusHome | null = null;
  private hurried = false;
  private sealer: TradeBodySealer<SealedOnBus> | null = null;

  constructor(
    home: BusHome,
    private readonly globals: GlobalOptions,
    private readonly logger: Logger,
    private readonly opts: PublisherOptions,
    private readonly topics: TradeQuoteTopics,
  ) {
    this.home = home;
    this.watch = setInterval(() => this.checkHost(), HOST_CHECK_MS);
    this.watch.unref();
    this.sink = {
      publish: (batch: TaggedRecord[]) => this.onHome(async (h) => void (await publishTagged(h.producer, this.topics, batch))),
      seal: (batch) => ({ home: this.home, sealed: sealTagged(this.home.producer, this.topics, batch) }),
      publishSealed: (batches) => this.onHome(async (h) => void (await publishSealed(h.producer, this.topics, batches.map((b) => this.sealedFor(b, h))))),
      flush: () => this.home.producer.flush(),
      unseal: (s) => unsealTagged(s.home.producer, s.sealed),
      tradeSealer: () => this.tradeSealer(),
    };
  }

  /** The current home's trade sealer (one per home, reused), or null while its schema id is not known. */
  private tradeSealer(): TradeBodySealer<SealedOnBus> | null {
    const home = this.home;
    if (this.sealerHome !== home) {
      const sealer = tradeSealer(home.producer, this.topics);
      if (sealer === null) return null;
      this.sealerHome = home;
      this.sealer = {
        get count() {
          return sealer.count;
        },
        append: (symbol, body) => sealer.append(symbol, body),
        finish: () => ({ home, sealed: sealer.finish() }),
      };
    }
    return this.sealer;
  }

  /** The metrics of the current home's Iceberg consumer (none while it has none). */
  lakeMetrics(): Promise<MetricJson[]> {
    return this.home.lake?.metrics() ?? Promise.resolve([]);
  }

  /** Runs a send on the current home (after a re-homing when its host is gone); gives up on it when the host goes. */
  private async onHome(send: (home: BusHome) => Promise<void>): Promise<void> {
    let home = this.home;
    if (home.gone || this.rehoming !== null) home = await this.rehome();
    try {
      await (home.bus.host === undefined ? send(home) : Promise.race([send(home), home.goneSignal]));
    } catch (err) {
      // a failed send on a borrowed bus whose host is gone: re-home now (the client retries the batch)
      if (!home.gone && home.bus.host !== undefined && !home.bus.host.alive()) this.hostGone(home);
      throw err;
    }
  }

  /** A sealed batch as `home` can send it: as is when its schema ids are the ones it was sealed with. */
  private sealedFor(b: SealedOnBus, home: BusHome): SealedTagged {
    if (b.home === home || (b.home.schemaIds.trades === home.schemaIds.trades && b.home.schemaIds.quotes === home.schemaIds.quotes)) return b.sealed;
    if (!this.idsDifferLogged) {
      this.idsDifferLogged = true;
      this.logger.warn('bus: the new registry gave other schema ids; re-encoding the batches sealed before', { before: b.home.schemaIds, now: home.schemaIds });
    }
    return sealTagged(home.producer, this.topics, unsealTagged(b.home.producer, b.sealed));
  }

  private checkHost(): void {
    if (this.closing) return;
    const home = this.home;
    // the host's liveness covers the Iceberg consumer too: it fails when the broker goes away
    if (!home.gone) {
      if (home.bus.host !== undefined && !home.bus.host.alive()) this.hostGone(home);
    } else if (this.rehoming === null && Date.now() >= this.nextAttemptAt) this.rehome().catch(() => undefined);
  }

  /** The host of a borrowed bus exited: say so once, fail the sends waiting on it and re-home. */
  private hostGone(home: BusHome): void {
    if (home.gone || home !== this.home) return;
    const host = home.bus.host!;
    this.logger.warn(`bus: ${host.describe} exited, and the bus of this data dir with it; re-homing the stream (the topics and schemas are in the data dir)`, {
      pid: host.pid,
      owner: host.owner,
      brokers: home.bus.endpoints.brokers.join(','),
    });
    home.markGone(new BusError(`the bus of ${host.describe} is gone: that process exited`, { pid: host.pid }));
    if (!this.closing) this.rehome().catch(() => undefined);
  }

  /** The new home: one re-homing at a time, and after a failed one, not before nextAttemptAt. */
  private rehome(): Promise<BusHome> {
    if (this.rehoming !== null) return this.rehoming;
    if (!this.home.gone) return Promise.resolve(this.home);
    const wait = this.nextAttemptAt - Date.now();
    if (this.closing || wait > 0) {
      return Promise.reject(new BusError(`the bus of this data dir is gone and not re-homed yet${this.closing ? ' (shutting down)' : `; next attempt in ${(wait / 1000).toFixed(1)} s`}`, {}));
    }
    const p = this.doRehome();
    this.rehoming = p;
    p.catch(() => undefined).finally(() => {
      if (this.rehoming === p) this.rehoming = null;
    });
    return p;
  }

  private async doRehome(): Promise<BusHome> {
    const old = this.home;
    if (!old.retired) {
      old.retired = true;
      // its sends wait for kafkajs's retries against a dead port: let them go (the client retries
      // the batches here); the consumer commits what it buffered (that needs no broker), and
      // the consumer started next resumes from the offsets in the table
      // (its connection errors would only repeat that the host is gone, said once above)
      old.producer.muteKafkaLog();
      void old.producer.close(PRODUCER_CLOSE_MS).catch(() => undefined);
      if (old.lake !== null) await settleWithin(old.lake.stop(), OLD_LAKE_STOP_MS);
      await old.bus.close().catch(() => undefined);
    }
    let home: BusHome;
    try {
      home = await openBusHome(this.globals, this.logger, this.opts, this.topics);
    } catch (err) {
      this.nextAttemptAt = Date.now() + this.retryMs;
      if (this.closing) this.logger.error('bus: re-homing failed while the stream shuts down', { error: errorMessage(err) });
      else this.logger.error('bus: re-homing failed; trying again', { error: errorMessage(err), retry_in_ms: this.retryMs });
      this.retryMs = Math.min(this.retryMs * 2, REHOME_RETRY_MAX_MS);
      throw err;
    }
    if (this.closed) {
      await closeBusHome(home, this.logger, this.topics, Date.now() + PRODUCER_CLOSE_MS + LAKE_COMMIT_MARGIN_MS).catch(() => undefined);
      throw new BusError('the stream closed while its bus was being re-homed', {});
    }
    this.home = home;
    this.retryMs = REHOME_RETRY_MS;
    this.nextAttemptAt = 0;
    this.logger.info('bus: re-homed', { to: homeTarget(home, this.topics), mode: home.bus.mode });
    return home;
  }

  /** The Iceberg consumer stops catching up: it commits what it has (see StreamPublishSession.hurry). */
  hurry(): void {
    this.hurried = true;
    this.home.lake?.hurry();
  }

  async close(deadlineAt?: number, lakeUntilCaughtUp = false): Promise<void> {
    this.closing = true;
    clearInterval(this.watch);
    if (this.rehoming !== null) {
      // a re-homing under way: let it finish (the stream may have published there already)
      if (deadlineAt === undefined) await this.rehoming.catch(() => undefined);
      else await settleWithin(this.rehoming, deadlineAt - Date.now() - LAKE_COMMIT_MARGIN_MS - PRODUCER_CLOSE_MS);
    }
    this.closed = true;
    await closeBusHome(this.home, this.logger, this.topics, deadlineAt, lakeUntilCaughtUp && !this.hurried);
  }
}

/** Flushes and disconnects the producer, lets the Iceberg consumer catch up and commit, closes the bus. */
async function closeBusHome(home: BusHome, logger: Logger, topics: TradeQuoteTopics, deadlineAt?: number, lakeUntilCaughtUp = false): Promise<void> {
  const { producer, lake, bus } = home;
  if (!home.retired) {
    if (deadlineAt === undefined) await producer.close();
    else await producer.close(Math.min(PRODUCER_CLOSE_MS, Math.max(0, deadlineAt - Date.now())));
  }
  if (lake !== null && !home.retired) {
    // Commit what was published, within the shutdown budget; anything left stays in
    // the broker's log and is committed by the next run (offsets live in the table).
    const catchUp = deadlineAt === undefined ? LAKE_CATCH_UP_MS : Math.max(0, Math.min(LAKE_CATCH_UP_MS, deadlineAt - Date.now() - LAKE_COMMIT_MARGIN_MS));
    try {
      if (lakeUntilCaughtUp) logger.info('waiting for the Iceberg consumer to catch up with what was published (a signal stops the wait)', { stall_ms: LAKE_STALL_MS });
      const summary = lakeUntilCaughtUp ? await lake.finishWhileCommitting(LAKE_STALL_MS) : await lake.finish(catchUp);
      logger.info('committed to Iceberg', { trades_v2: summary.rows_committed.trades_v2, quotes_v2: summary.rows_committed.quotes_v2 });
    } catch (err) {
      await bus.close();
      throw new ConsumeError(`${errorMessage(err)}; the records stay in ${topics.trades} and ${topics.quotes} and are committed by the next run`, {}, { cause: err });
    }
  }
  await bus.close();
}

