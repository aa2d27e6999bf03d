/**
 * `k2 stream binance --symbols BTCUSDT,ETHUSDT[,...] [--streams trade,bookTicker] [--url wss://...]
 *   [--rest-url https://...] [--metrics-port 9091] [--duration s] [--max-messages n] [--stale-after s]`
 *
 * Live Binance capture: trades and quotes as v2 records, published to
 * market.crypto.trades.binance and market.crypto.quotes.binance through the bus
 * (the embedded broker without --brokers). Reconnects forever, backfills gaps
 * over REST, serves Prometheus metrics, and stops cleanly on SIGINT/SIGTERM.
 * A live status line on a TTY; log lines otherwise. Prints a summary at the end.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { BusError, publishSealed, publishTagged, sealTagged, startBus, unsealTagged, RecordProducer, SchemaRegistryClient, type BusSession, type SealedTagged, type TradeQuoteTopics } from '../../bus/index.js';
import type { GlobalOptions } from '../../config/global-options.js';
import { parseSetting } from '../../config/global-options.js';
import type { Logger } from '../../log/logger.js';
import { BinanceMetrics } from '../../metrics/binance-metrics.js';
import { startMetricsServer, type MetricsServer } from '../../metrics/metrics-server.js';
import { createMetricsRegistry } from '../../metrics/registry.js';
import { mirrorMetrics, type MetricJson } from '../../metrics/metrics-mirror.js';
import { ConsumerMetrics } from '../../consume/consumer-metrics.js';
import { formatScaledFixed } from '../../model/decimal.js';
import { ConfigError, errorMessage } from '../../model/errors.js';
import type { TaggedRecord } from '../../model/record-kind.js';
import { microsToIso } from '../../model/time.js';
import { topicName, valueSubject } from '../../model/topics.js';
import { settleWithin } from '../../resilience/deadline.js';
import { v2SchemaString } from '../../schema/v2-schemas.js';
import type { BinanceMessageError } from '../../sources/binance/errors.js';
import { BINANCE_CHANNELS, BINANCE_EXCHANGE, type BinanceChannel } from '../../sources/binance/mapper.js';
import { splitSymbol } from '../../sources/binance/quote-assets.js';
import type { RecordSink, SealingSink } from '../../sources/binance/record-sink.js';
import { BinanceStreamClient, DEFAULT_BUFFER_LIMIT, UNPUBLISHED_METRIC, type StreamStats } from '../../sources/binance/stream-client.js';
import { DEFAULT_REST_URL, DEFAULT_STREAM_URLS } from '../../sources/binance/stream-url.js';
import type { Registry } from 'prom-client';
import { BusAdmin } from '../../bus/index.js';
import { BackgroundConsumer } from '../../consume/background-consumer.js';
import { embeddedConsumerConfig } from '../shared-options.js';
import { ConsumeError } from '../../consume/errors.js';
import { commandContext } from '../context.js';
import { formatTable, toJson, type Row } from '../output.js';
import { checkConfiguredCatalog } from '../../iceberg/catalog/open-catalog.js';

/** SIGINT/SIGTERM must end the process within this time. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/**
 * Of that, how long buffered records may take to be published (from the signal). What the
 * broker has not acknowledged by then (it is gone or hung) goes to the dead-letter file.
 */
export const PUBLISH_DEADLINE_MS = 5_000;
/** ...by when (from the signal) the producer and the in-process consumer must be closed. */
const CLOSE_DEADLINE_MS = 9_000;
/** How long closing the producer may wait for sends in flight and its disconnect. */
const PRODUCER_CLOSE_MS = 1_000;
/** Of the close budget, how long the in-process Iceberg consumer may take to catch up... */
const LAKE_CATCH_UP_MS = 5_000;
/** ...leaving it at least this long to commit what it has when it is told to stop. */
const LAKE_COMMIT_MARGIN_MS = 1_500;
/** Rows per Iceberg flush of the stream's consumer (it flushes every second anyway). */
const LAKE_MAX_ROWS = 25_000;

interface StreamBinanceFlags {
  symbols: string;
  streams: string;
  url?: string;
  restUrl: string;
  backfill: boolean;
  metricsPort: string;
  duration?: string;
  maxMessages?: string;
  staleAfter: string;
  bufferLimit: string;
  registry?: string;
  json?: boolean;
  catalog?: string;
  consume: boolean;
}

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
   */
  close(deadlineAt?: number): Promise<void>;
}

/**
 * The seams of `k2 stream binance`: `openPublisher` connects the sink (the bus by
 * default); `afterBusStart` is where the integrator starts the in-process Iceberg
 * consumer in embedded mode. Both are replaceable as a whole.
 */
export interface StreamBinanceHooks {
  openPublisher(globals: GlobalOptions, logger: Logger, opts: PublisherOptions): Promise<StreamPublishSession>;
}

export const streamBinanceHooks: StreamBinanceHooks = {
  openPublisher: openBusPublisher,
};

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
    close: (deadlineAt?: number) => publisher.close(deadlineAt),
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
    };
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
      void old.producer.close(PRODUCER_CLOSE_MS).catch(() => undefined);
      if (old.lake !== null) await settleWithin(old.lake.stop(), OLD_LAKE_STOP_MS);
      await old.bus.close().catch(() => undefined);
    }
    let home: BusHome;
    try {
      home = await openBusHome(this.globals, this.logger, this.opts, this.topics);
    } catch (err) {
      this.nextAttemptAt = Date.now() + this.retryMs;
      this.logger.error('bus: re-homing failed; trying again', { error: errorMessage(err), retry_in_ms: this.retryMs });
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

  async close(deadlineAt?: number): Promise<void> {
    this.closing = true;
    clearInterval(this.watch);
    if (this.rehoming !== null) {
      // a re-homing under way: let it finish (the stream may have published there already)
      if (deadlineAt === undefined) await this.rehoming.catch(() => undefined);
      else await settleWithin(this.rehoming, deadlineAt - Date.now() - LAKE_COMMIT_MARGIN_MS - PRODUCER_CLOSE_MS);
    }
    this.closed = true;
    await closeBusHome(this.home, this.logger, this.topics, deadlineAt);
  }
}

/** Flushes and disconnects the producer, lets the Iceberg consumer catch up and commit, closes the bus. */
async function closeBusHome(home: BusHome, logger: Logger, topics: TradeQuoteTopics, deadlineAt?: number): Promise<void> {
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
      const summary = await lake.finish(catchUp);
      logger.info('committed to Iceberg', { trades_v2: summary.rows_committed.trades_v2, quotes_v2: summary.rows_committed.quotes_v2 });
    } catch (err) {
      await bus.close();
      throw new ConsumeError(`${errorMessage(err)}; the records stay in ${topics.trades} and ${topics.quotes} and are committed by the next run`, {}, { cause: err });
    }
  }
  await bus.close();
}

export function registerStream(program: Command): void {
  const stream = program.command('stream').description('Capture live market data');
  stream
    .command('binance')
    .description('Live Binance trades and quotes into the bus: reconnects, gap backfill over REST, Prometheus metrics')
    .requiredOption('--symbols <list>', 'comma-separated Binance symbols, e.g. BTCUSDT,ETHUSDT')
    .option('--streams <list>', `comma-separated channels: ${BINANCE_CHANNELS.join(', ')}`, 'trade,bookTicker')
    .option('--url <list>', `WebSocket base URL(s), comma-separated, first is primary (default ${DEFAULT_STREAM_URLS.join(', ')})`)
    .option('--rest-url <url>', 'REST base URL for gap backfill', DEFAULT_REST_URL)
    .option('--no-backfill', 'do not fetch missing trades over REST (gaps are still counted)')
    .option('--metrics-port <port>', 'Prometheus metrics port (0 = any free port, "off" = none)', '9091')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--max-messages <n>', 'stop after this many data messages')
    .option('--stale-after <s>', 'reconnect when no message arrives for this many seconds', '30')
    .option('--buffer-limit <n>', 'records buffered before the stream is paused (backpressure)', String(DEFAULT_BUFFER_LIMIT))
    .option('--registry <url>', 'schema registry URL with --brokers (env K2_REGISTRY_URL)')
    .option('--catalog <spec>', 'Iceberg catalog for embedded mode: filesystem (default) or postgres://... (env K2_CATALOG)')
    .option('--no-consume', 'embedded mode: publish only, do not commit to Iceberg in this process')
    .option('--json', 'print the final summary as JSON')
    .action(async (flags: StreamBinanceFlags, cmd: Command) => {
      await streamBinance(flags, cmd);
    });
}

interface StreamSettings {
  symbols: string[];
  channels: BinanceChannel[];
  urls: string[];
  restUrl: string | null;
  metricsPort: number | null;
  durationMs: number | null;
  maxMessages: number | undefined;
  staleAfterMs: number;
  bufferLimit: number;
}

export function parseStreamFlags(flags: StreamBinanceFlags): StreamSettings {
  const symbols = parseSetting(
    z.string().transform((s) => s.split(',').map((x) => x.trim().toUpperCase()).filter((x) => x.length > 0)).pipe(z.array(z.string().regex(/^[A-Z0-9]{2,30}$/)).min(1)),
    flags.symbols,
    '--symbols',
    'a comma-separated list of Binance symbols such as BTCUSDT,ETHUSDT',
  );
  for (const s of symbols) {
    try {
      splitSymbol(s);
    } catch (err) {
      throw new ConfigError(`invalid --symbols: ${s}: ${errorMessage(err)}`, { source: '--symbols' });
    }
  }
  const channels = parseSetting(
    z.string().transform((s) => [...new Set(s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))]).pipe(z.array(z.enum(BINANCE_CHANNELS)).min(1)),
    flags.streams,
    '--streams',
    `a comma-separated list of ${BINANCE_CHANNELS.join(', ')}`,
  );
  const urlSchema = z.string().trim().url().refine((u) => /^wss?:\/\//.test(u));
  const urls =
    flags.url === undefined
      ? [...DEFAULT_STREAM_URLS]
      : parseSetting(z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0)).pipe(z.array(urlSchema).min(1)), flags.url, '--url', 'ws:// or wss:// URL(s)');
  const restUrl = flags.backfill
    ? parseSetting(z.string().trim().url().refine((u) => /^https?:\/\//.test(u)), flags.restUrl, '--rest-url', 'an http(s) URL')
    : null;
  const metricsPort =
    flags.metricsPort === 'off' ? null : parseSetting(z.coerce.number().int().min(0).max(65535), flags.metricsPort, '--metrics-port', 'a port from 0 to 65535, or off');
  const positive = z.coerce.number().positive().finite();
  const durationMs = flags.duration === undefined ? null : parseSetting(positive, flags.duration, '--duration', 'a positive number of seconds') * 1000;
  const maxMessages = flags.maxMessages === undefined ? undefined : parseSetting(z.coerce.number().int().positive(), flags.maxMessages, '--max-messages', 'a positive integer');
  const staleAfterMs = parseSetting(positive, flags.staleAfter, '--stale-after', 'a positive number of seconds') * 1000;
  const bufferLimit = parseSetting(z.coerce.number().int().min(100), flags.bufferLimit, '--buffer-limit', 'an integer >= 100');
  checkConfiguredCatalog(flags.catalog); // opened later by the consumer worker: check it now, before anything starts
  return { symbols, channels, urls, restUrl, metricsPort, durationMs, maxMessages, staleAfterMs, bufferLimit };
}

async function streamBinance(flags: StreamBinanceFlags, cmd: Command): Promise<void> {
  const { globals, logger } = commandContext(cmd);
  const json = flags.json === true || globals.json;
  const settings = parseStreamFlags(flags);
  const registry = createMetricsRegistry({ defaultMetrics: true });
  const metrics = new BinanceMetrics(registry);

  let metricsServer: MetricsServer | null = null;
  if (settings.metricsPort !== null) {
    try {
      metricsServer = await startMetricsServer(registry, settings.metricsPort);
    } catch (err) {
      throw new ConfigError(`cannot serve metrics on --metrics-port ${settings.metricsPort}: ${errorMessage(err)}`, { source: '--metrics-port' });
    }
    logger.info('metrics', { url: metricsServer.url });
  }

  let session: StreamPublishSession;
  try {
    session = await streamBinanceHooks.openPublisher(globals, logger, { registryUrl: flags.registry, catalog: flags.catalog, consume: flags.consume, metricsRegistry: registry });
  } catch (err) {
    await metricsServer?.close();
    throw err;
  }
  logger.info('publishing', { to: session.target });

  const deadLetter = new DeadLetterWriter(join(globals.dataDir, 'dead-letter'));
  let stopReason = 'stopped';
  const client = new BinanceStreamClient({
    symbols: settings.symbols,
    channels: settings.channels,
    urls: settings.urls,
    restUrl: settings.restUrl,
    sink: session.sink,
    metrics,
    logger,
    staleAfterMs: settings.staleAfterMs,
    bufferLimit: settings.bufferLimit,
    maxMessages: settings.maxMessages,
    onRejected: (frame, error) => deadLetter.write(frame, error),
    onUnpublished: (records, reason) => deadLetter.writeUnpublished(records, reason, `not acknowledged by the broker within the ${PUBLISH_DEADLINE_MS / 1000} s shutdown deadline`),
    onSelfStop: (reason) => {
      stopReason = reason;
      finish(reason);
    },
  });

  let resolveDone!: (reason: string) => void;
  const done = new Promise<string>((r) => (resolveDone = r));
  let finished = false;
  const finish = (reason: string): void => {
    if (finished) return;
    finished = true;
    stopReason = reason;
    resolveDone(reason);
  };
  const onSignal = (sig: NodeJS.Signals): void => finish(sig === 'SIGINT' ? 'interrupted' : 'terminated');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const durationTimer = settings.durationMs === null ? null : setTimeout(() => finish('duration'), settings.durationMs);
  const status = new StatusReporter(client, logger, process.stderr.isTTY === true && !json && !globals.json);

  logger.info('streaming', { symbols: settings.symbols.join(','), streams: settings.channels.join(','), url: settings.urls[0], backfill: settings.restUrl ?? 'off' });
  client.start();
  status.start();

  await done;
  status.stop();
  if (durationTimer !== null) clearTimeout(durationTimer);
  const shutdownAt = Date.now();
  const deadline = setTimeout(() => {
    process.stderr.write(`k2: shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting\n`);
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  let stats: StreamStats;
  try {
    // publish what is buffered; what the broker has not acknowledged by the publish deadline
    // is written to the dead-letter file (onUnpublished) before stop() returns
    stats = await client.stop(stopReason, { publishDeadlineMs: PUBLISH_DEADLINE_MS });
    if (stats.unpublished > 0) {
      logger.error('records received but not published were written to the dead-letter file', {
        records: stats.unpublished,
        file: deadLetter.path ?? 'none',
        metric: UNPUBLISHED_METRIC,
      });
    }
    await session.close(shutdownAt + CLOSE_DEADLINE_MS);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    deadLetter.close();
    await metricsServer?.close();
    clearTimeout(deadline);
    exitByDeadline(shutdownAt);
  }
  printSummary(stats, stopReason, json, deadLetter.path);
  if (stats.unpublished > 0) {
    // exit 1 (EXIT_FAILURE): the records are safe in the file, but the pipeline did not
    // deliver them; see docs/decisions.md
    throw new BusError(
      `${stats.unpublished} records received from Binance were not published before the shutdown deadline (is the broker reachable?); ` +
        `they are in ${deadLetter.path ?? 'no file'} with error_type unpublished_at_shutdown`,
      { unpublished: stats.unpublished },
    );
  }
}

/**
 * Once the command is done, nothing it started should keep the process alive; but after a
 * broker went away, kafkajs goes on retrying requests we gave up on (for up to ~20 s). This
 * lets the process exit (with the exit code set by then) within the shutdown deadline anyway;
 * the timer is unref'd, so a clean exit comes first.
 */
function exitByDeadline(shutdownAt: number): void {
  const left = shutdownAt + SHUTDOWN_DEADLINE_MS - Date.now();
  setTimeout(() => process.exit(), Math.max(0, Math.min(200, left - 250))).unref();
}

function printSummary(stats: StreamStats, reason: string, json: boolean, deadLetterPath: string | null): void {
  if (json) {
    process.stdout.write(
      `${toJson({
        reason,
        messages: stats.messages,
        published: stats.published,
        errors: stats.errors,
        duplicates: stats.duplicates,
        gap_trades: stats.gapTrades,
        backfilled: stats.backfilled,
        unfilled: stats.unfilled,
        reconnects: stats.reconnects,
        buffer_overflows: stats.overflows,
        unpublished: stats.unpublished,
        dead_letter: deadLetterPath,
        symbols: Object.fromEntries(
          Object.entries(stats.symbols).map(([s, v]) => [s, { messages: v.messages, trades: v.trades, quotes: v.quotes, last_price: v.lastPrice }]),
        ),
      })}\n`,
    );
    return;
  }
  const rows: Row[] = Object.entries(stats.symbols).map(([symbol, v]) => ({ symbol, messages: v.messages, trades: v.trades, quotes: v.quotes, last_price: v.lastPrice }));
  process.stdout.write(formatTable(rows, ['symbol', 'messages', 'trades', 'quotes', 'last_price']));
  process.stdout.write(
    `\nstopped (${reason}): ${stats.messages} messages, ${stats.published} records published, ${stats.gapTrades} missing trades found, ` +
      `${stats.backfilled} backfilled, ${stats.unfilled} unfilled, ${stats.reconnects} reconnects, ${stats.errors} rejected frames` +
      `${stats.unpublished > 0 ? `, ${stats.unpublished} records not published by the shutdown deadline` : ''}` +
      `${deadLetterPath !== null ? ` (see ${deadLetterPath})` : ''}\n`,
  );
}

/** One status line, rewritten each second on a TTY; a log line every 10 s otherwise. */
class StatusReporter {
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastCounts = new Map<string, number>();
  private lastAt = Date.now();
  private ticks = 0;

  constructor(private readonly client: BinanceStreamClient, private readonly logger: Logger, private readonly tty: boolean) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.tty) process.stderr.write('\r\x1b[K');
  }

  private tick(): void {
    this.ticks++;
    const s = this.client.snapshot();
    const now = Date.now();
    const dt = Math.max(0.001, (now - this.lastAt) / 1000);
    const rates: Record<string, string> = {};
    for (const [sym, v] of Object.entries(s.symbols)) {
      rates[sym] = ((v.messages - (this.lastCounts.get(sym) ?? 0)) / dt).toFixed(1);
      this.lastCounts.set(sym, v.messages);
    }
    this.lastAt = now;
    if (this.tty) {
      const head = `${s.state}${s.breaker !== 'closed' ? ` (breaker ${s.breaker})` : ''} | filled ${s.backfilled}${s.unfilled > 0 ? `, ${s.unfilled} unfilled` : ''} | buf ${s.buffered}`;
      const parts = Object.entries(s.symbols).map(([sym, v]) => `${sym} ${Math.round(Number(rates[sym]))}/s ${v.lastPrice ?? '-'}`);
      const line = `${head} | ${parts.join(' | ')}`;
      process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 200) - 1)}`);
    } else if (this.ticks % 10 === 0) {
      this.logger.info('stream status', {
        state: s.state,
        messages: s.messages,
        rates: Object.entries(rates).map(([k, v]) => `${k}=${v}/s`).join(','),
        backfilled: s.backfilled,
        unfilled: s.unfilled,
        reconnects: s.reconnects,
        buffered: s.buffered,
      });
    }
  }
}

/** Decimal fields of the v2 records (exact text in the dead-letter file) and time fields (ISO, microseconds). */
const DECIMAL_FIELDS = new Set(['price', 'quantity', 'bid_price', 'bid_quantity', 'ask_price', 'ask_quantity']);
const TIME_FIELDS = new Set(['timestamp', 'ingestion_timestamp']);

/** A v2 record as JSON, losslessly: decimals as exact text, times as ISO-8601 with microseconds, other bigints as text. */
export function recordToJson(record: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (typeof v !== 'bigint') out[k] = v;
    else if (DECIMAL_FIELDS.has(k)) out[k] = formatScaledFixed(v);
    else if (TIME_FIELDS.has(k)) out[k] = microsToIso(v);
    else out[k] = v.toString();
  }
  return out;
}

/**
 * The stream's dead-letter file, `<data-dir>/dead-letter/binance-stream-YYYYMMDD.jsonl`, one
 * JSON line per entry with `received_at`, `error_type` and `error`: rejected frames (with the
 * raw `frame`) and, at a shutdown deadline, the records received but not published (with
 * their `topic` and the v2 `record`). Written synchronously, so an entry is in the file as
 * soon as it is handed over, whatever happens to the process next.
 */
class DeadLetterWriter {
  path: string | null = null;
  private fd: number | null = null;

  constructor(private readonly dir: string) {}

  private open(): number {
    if (this.fd === null) {
      mkdirSync(this.dir, { recursive: true });
      this.path = join(this.dir, `binance-stream-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}.jsonl`);
      this.fd = openSync(this.path, 'a');
    }
    return this.fd;
  }

  write(frame: string, error: BinanceMessageError): void {
    writeSync(this.open(), `${JSON.stringify({ received_at: new Date().toISOString(), error_type: error.errorType, error: error.describe(), frame })}\n`);
  }

  /** Records that were received but not published, oldest first; made durable at once. */
  writeUnpublished(records: readonly TaggedRecord[], reason: string, error: string): void {
    if (records.length === 0) return;
    const fd = this.open();
    const topics = { trades: topicName('crypto', 'trades', BINANCE_EXCHANGE), quotes: topicName('crypto', 'quotes', BINANCE_EXCHANGE) };
    const CHUNK = 1_000;
    for (let start = 0; start < records.length; start += CHUNK) {
      let text = '';
      for (const r of records.slice(start, start + CHUNK)) {
        const topic = r.kind === 'trades' ? topics.trades : r.kind === 'quotes' ? topics.quotes : r.kind;
        const receivedAt = 'ingestion_timestamp' in r.record ? microsToIso(r.record.ingestion_timestamp) : new Date().toISOString();
        text += `${JSON.stringify({ received_at: receivedAt, error_type: reason, error, topic, record: recordToJson(r.record) })}\n`;
      }
      writeSync(fd, text);
    }
    fsyncSync(fd);
  }

  close(): void {
    if (this.fd === null) return;
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

