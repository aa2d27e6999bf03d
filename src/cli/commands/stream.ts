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
import { BusError } from '../../bus/index.js';
import type { GlobalOptions } from '../../config/global-options.js';
import { parseSetting } from '../../config/global-options.js';
import type { Logger } from '../../log/logger.js';
import { BinanceMetrics } from '../../metrics/binance-metrics.js';
import { startMetricsServer, type MetricsServer } from '../../metrics/metrics-server.js';
import { createMetricsRegistry } from '../../metrics/registry.js';
import { formatScaledFixed } from '../../model/decimal.js';
import { ConfigError, errorMessage } from '../../model/errors.js';
import type { TaggedRecord } from '../../model/record-kind.js';
import { microsToIso } from '../../model/time.js';
import { topicName } from '../../model/topics.js';
import type { BinanceMessageError } from '../../sources/binance/errors.js';
import { BINANCE_CHANNELS, BINANCE_EXCHANGE, type BinanceChannel } from '../../sources/binance/mapper.js';
import { splitSymbol } from '../../sources/binance/quote-assets.js';
import { BinanceStreamClient, DEFAULT_BUFFER_LIMIT, UNPUBLISHED_METRIC, type StreamStats } from '../../sources/binance/stream-client.js';
import { DEFAULT_REST_URL, DEFAULT_STREAM_URLS } from '../../sources/binance/stream-url.js';
import { commandContext } from '../context.js';
import { formatTable, toJson, type Row } from '../output.js';
import { checkConfiguredCatalog } from '../../iceberg/catalog/open-catalog.js';
import { openBusPublisher, type PublisherOptions, type StreamPublishSession } from '../stream-bus-publisher.js';

/** SIGINT/SIGTERM must end the process within this time. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/**
 * Of that, how long buffered records may take to be published (from the signal). What the
 * broker has not acknowledged by then (it is gone or hung) goes to the dead-letter file.
 */
export const PUBLISH_DEADLINE_MS = 5_000;
/** ...by when (from the signal) the producer and the in-process consumer must be closed. */
const CLOSE_DEADLINE_MS = 9_000;
/**
 * A stop of the stream's own (--max-messages, --duration) waits for the Iceberg consumer while it
 * commits, with no fixed budget; this is the safety net that still ends the process (exit 1).
 */
const SELF_STOP_DEADLINE_MS = 10 * 60_000;
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
  /**
   * Arms the hard shutdown deadline: after it, the process exits 1 whatever is still running.
   * A shorter one replaces a longer one (a signal during a self-stop's wait); never the reverse.
   */
  let deadline: NodeJS.Timeout | null = null;
  let deadlineAt = Infinity;
  const armDeadline = (ms = SHUTDOWN_DEADLINE_MS): void => {
    if (Date.now() + ms >= deadlineAt) return;
    if (deadline !== null) clearTimeout(deadline);
    deadlineAt = Date.now() + ms;
    deadline = setTimeout(() => {
      process.stderr.write(`k2: shutdown did not finish within ${ms / 1000} s; exiting\n`);
      process.exit(1);
    }, ms);
    deadline.unref();
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!finished) finish(sig === 'SIGINT' ? 'interrupted' : 'terminated');
    else {
      // a signal while a self-stop lets the Iceberg consumer catch up: stop waiting for it
      logger.warn('signal during shutdown: committing what the Iceberg consumer has, not waiting for it to catch up', { signal: sig });
      session.hurry?.();
      armDeadline();
    }
  };
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
  // A signal's shutdown ends within SHUTDOWN_DEADLINE_MS. A stop of the stream's own
  // (--max-messages, --duration) lets the embedded Iceberg consumer catch up with everything
  // published, for as long as it keeps committing (SELF_STOP_DEADLINE_MS at most); publishing
  // is bounded either way.
  const selfStop = stopReason === 'max_messages' || stopReason === 'duration';
  armDeadline(selfStop ? SELF_STOP_DEADLINE_MS : SHUTDOWN_DEADLINE_MS);
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
    await session.close(shutdownAt + CLOSE_DEADLINE_MS, { lakeUntilCaughtUp: selfStop });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    deadLetter.close();
    await metricsServer?.close();
    if (deadline !== null) clearTimeout(deadline);
    exitByDeadline(selfStop ? Date.now() : shutdownAt);
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

