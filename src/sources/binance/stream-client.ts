/**
 * The resilient Binance stream client (issue 6): one combined-stream connection
 * delivering trades and quotes to a RecordSink, gap-free.
 *
 *  - Reconnects forever: exponential backoff with jitter (5 s -> 60 s), rotating
 *    through the failover URLs; a connection that was stable is replaced at once.
 *  - Connection attempts go through a circuit breaker (3 failures -> open 30 s;
 *    half-open needs 2 successes: a first message, then `stableAfterMs` alive).
 *  - A stale watchdog reconnects when no message arrives for `staleAfterMs`.
 *  - Before Binance's 24 h limit, and on serverShutdown, a replacement connection
 *    is opened; the old one is closed once the new one delivers. Ids dedupe the overlap.
 *  - Per symbol, trade ids (and aggregate ids) must follow each other. A jump, or
 *    any reconnect, starts a REST backfill; live trades behind it are held so the
 *    sink sees every id once, in order. What REST cannot return is counted, not invented.
 *  - Publishing goes through a bounded buffer; at the bound the socket is paused
 *    (a metric and a warning say so) and nothing is dropped.
 *  - stop() may be given a publish deadline: what the sink has not taken by then (the
 *    broker is gone or hung) is handed to `onUnpublished` (the dead-letter file),
 *    counted in k2_binance_unpublished_records_total and logged, never dropped silently.
 */
import { Counter } from 'prom-client';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import { BinanceMetrics } from '../../metrics/binance-metrics.js';
import { createMetricsRegistry } from '../../metrics/registry.js';
import { formatScaled, SCALE_FACTOR, type Scaled } from '../../model/decimal.js';
import { errorMessage } from '../../model/errors.js';
import type { QuoteV2 } from '../../model/quote.js';
import type { TaggedRecord } from '../../model/record-kind.js';
import type { Micros, TradeV2 } from '../../model/trade.js';
import { ExponentialBackoff, type BackoffOptions } from '../../resilience/backoff.js';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from '../../resilience/circuit-breaker.js';
import { sleep, systemClock, type Clock, type ClockTimer } from '../../resilience/clock.js';
import { settleWithin } from '../../resilience/deadline.js';
import { StaleWatchdog } from '../../resilience/stale-watchdog.js';
import { BinanceMessageError } from './errors.js';
import { BinanceFrameConverter, frameText } from './frame-converter.js';
import type { ScannedTrade } from './combined-frame-scanner.js';
import { newMessageId } from './message-id.js';
import type { BinanceChannel } from './mapper.js';
import { PublishQueue, type OutgoingBatch } from './publish-queue.js';
import type { RecordSink } from './record-sink.js';
import { BinanceRestClient } from './rest-client.js';
import { combinedStreamUrl } from './stream-url.js';
import { TradeEventEncoder } from './trade-event-encoder.js';
import { StreamConnection, type ConnectionEnd } from './stream-connection.js';
import { TradeBackfiller, type SequencedChannel } from './trade-backfiller.js';

export const BREAKER_NAME = 'binance_ws';
/**
 * Records waiting for the sink (plus those held behind a backfill) before the
 * socket is paused. Five batches: the sink always has a full batch ready (the
 * socket resumes at half), while the worst case stays small in memory (a v2
 * record is about 0.8 KB on the heap). See docs/decisions.md.
 */
export const DEFAULT_BUFFER_LIMIT = 25_000;
/** Records per sink.publish call. */
export const DEFAULT_MAX_BATCH = 5_000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The dead-letter reason of records still unpublished when the shutdown deadline passed. */
export const UNPUBLISHED_AT_SHUTDOWN = 'unpublished_at_shutdown';
export const UNPUBLISHED_METRIC = 'k2_binance_unpublished_records_total';

export interface BinanceStreamOptions {
  /** Upper-case Binance symbols, e.g. BTCUSDT. */
  symbols: string[];
  channels: BinanceChannel[];
  /** WebSocket base URLs in failover order. */
  urls: string[];
  /** REST base URL for gap backfill; null disables backfill (gaps are then only counted). */
  restUrl: string | null;
  sink: RecordSink;
  metrics?: BinanceMetrics;
  logger?: Logger;
  /** Drives rotation, backoff, the breaker and REST pacing (a test clock can jump 24 h). */
  clock?: Clock;
  /**
   * Drives the stale watchdog, which measures real silence on the socket; default
   * the system clock, so a test clock jumping forward is not mistaken for silence.
   */
  watchdogClock?: Clock;
  random?: () => number;
  backoff?: BackoffOptions;
  breaker?: BreakerOptions;
  /** Reconnect when no message arrives for this long (default 30 s). */
  staleAfterMs?: number;
  /** A connection alive this long after its first message counts as stable (second breaker success). */
  stableAfterMs?: number;
  /** Open a replacement connection when the current one is this old (default 23 h 50 min). */
  rotateAfterMs?: number;
  handshakeTimeoutMs?: number;
  /** Records buffered (plus held behind a backfill) before the socket is paused. */
  bufferLimit?: number;
  maxBatch?: number;
  restWeightPerMinute?: number;
  maxBackfillPerGap?: number;
  /** Stop after this many data messages. */
  maxMessages?: number;
  /** Delay before retrying a batch the sink refused. */
  publishRetryMs?: number;
  /** Receives every rejected frame with its error (dead-letter file). */
  onRejected?: (frame: string, error: BinanceMessageError) => void;
  /**
   * Receives, once, the records received but not published when stop()'s publish deadline
   * passed (reason `unpublished_at_shutdown`), oldest first: the dead-letter file.
   */
  onUnpublished?: (records: TaggedRecord[], reason: string) => void;
  /** Called once when the client stops by itself (max messages). */
  onSelfStop?: (reason: string) => void;
}

export type StreamState = 'connecting' | 'connected' | 'reconnecting' | 'paused' | 'stopped';

export interface StopOptions {
  /**
   * Publish what is buffered for at most this long (ms, from the stop() call); whatever
   * the sink has not acknowledged by then goes to `onUnpublished`. Default: no limit.
   */
  publishDeadlineMs?: number;
}

export interface SymbolStats {
  messages: number;
  trades: number;
  quotes: number;
  lastPrice: string | null;
}

export interface StreamStats {
  state: StreamState;
  breaker: BreakerState;
  connections: number;
  messages: number;
  errors: number;
  duplicates: number;
  gapTrades: number;
  backfilled: number;
  unfilled: number;
  reconnects: number;
  published: number;
  buffered: number;
  overflows: number;
  /** Records given up at the shutdown deadline (handed to onUnpublished). */
  unpublished: number;
  symbols: Record<string, SymbolStats>;
}

interface SequenceState {
  channel: SequencedChannel;
  symbol: string;
  last: number | null;
  backfilling: boolean;
  held: TradeV2[];
}

/** A trade price: scaled, or (from the direct path) a safe integer of the same units, converted when shown. */
type TradePrice = Scaled | number;

interface SymbolCounters {
  messages: number;
  trades: number;
  quotes: number;
  lastPrice: TradePrice | null;
  /** The price last copied into the k2_last_trade_price gauge. */
  reportedPrice: TradePrice | null;
}

interface ConnMeta {
  purpose: 'initial' | 'reconnect' | 'replacement';
  watchdog: StaleWatchdog;
  stableTimer: ClockTimer | null;
  rotationTimer: ClockTimer | null;
  stable: boolean;
  seenFirst: boolean;
  ended: Promise<void>;
  markEnded: () => void;
}

export class BinanceStreamClient {
  readonly metrics: BinanceMetrics;
  private readonly opts: Required<Pick<BinanceStreamOptions, 'staleAfterMs' | 'stableAfterMs' | 'rotateAfterMs' | 'handshakeTimeoutMs' | 'maxBatch' | 'publishRetryMs'>>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly now: () => Micros;
  /** now(), as a number (the direct path writes it without a bigint) */
  private readonly nowNumber: () => number;
  private readonly converter: BinanceFrameConverter;
  private readonly encoder = new TradeEventEncoder();
  private readonly backoff: ExponentialBackoff;
  private readonly breaker: CircuitBreaker;
  private readonly backfiller: TradeBackfiller | null;
  private readonly queue: PublishQueue;
  private readonly abort = new AbortController();
  private readonly unpublishedRecords: Counter<'kind'>;

  private running = false;
  private stopPromise: Promise<StreamStats> | null = null;
  private readonly conns = new Map<StreamConnection, ConnMeta>();
  private primary: StreamConnection | null = null;
  private replacing = false;
  private attemptTimer: ClockTimer | null = null;
  private urlIndex = 0;

  private readonly tradeSequences = new Map<string, SequenceState>();
  private readonly aggSequences = new Map<string, SequenceState>();
  private readonly sequences: SequenceState[] = [];
  private readonly lastQuoteId = new Map<string, number>();
  private readonly backfills = new Set<Promise<void>>();
  private heldCount = 0;
  private paused = false;
  private flushing = false;
  /** Whether the end-of-read microtask (seal, then publish) is queued. */
  private afterReadQueued = false;
  private idleWaiters: (() => void)[] = [];
  /** The batch the sink is publishing now (not acknowledged yet). */
  private inFlight: OutgoingBatch | null = null;
  /** Set when the publish deadline passed: the flush loop stops, the queue was drained to onUnpublished. */
  private abandoned = false;

  private readonly stats: Omit<StreamStats, 'state' | 'breaker' | 'connections' | 'buffered' | 'symbols'> = {
    messages: 0, errors: 0, duplicates: 0, gapTrades: 0, backfilled: 0, unfilled: 0, reconnects: 0, published: 0, overflows: 0, unpublished: 0,
  };
  private readonly symbolStats = new Map<string, SymbolCounters>();
  private lastStatsSymbol = '';
  private lastStats: SymbolCounters | undefined = undefined;
  private lastSequence: SequenceState | null = null;
  private pricesChanged = false;
  /** Whether the watchdog runs on `clock`, so a message's clock reading can touch it. */
  private readonly watchdogOnClock: boolean;

  constructor(private readonly options: BinanceStreamOptions) {
    if (options.symbols.length === 0) throw new RangeError('at least one symbol is needed');
    if (options.urls.length === 0) throw new RangeError('at least one stream URL is needed');
    this.opts = {
      staleAfterMs: options.staleAfterMs ?? 30_000,
      stableAfterMs: options.stableAfterMs ?? 10_000,
      rotateAfterMs: options.rotateAfterMs ?? DAY_MS - 10 * 60 * 1000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      publishRetryMs: options.publishRetryMs ?? 1000,
    };
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.watchdogOnClock = (options.watchdogClock ?? systemClock) === this.clock;
    this.nowNumber = this.clock === systemClock ? receiveMicrosNumber : () => Math.round(this.clock.now() * 1000);
    this.now = this.clock === systemClock ? receiveMicros : () => BigInt(this.nowNumber());
    this.metrics = options.metrics ?? new BinanceMetrics(createMetricsRegistry());
    this.unpublishedRecords = unpublishedCounter(this.metrics);
    this.converter = new BinanceFrameConverter({ now: this.now });
    this.backoff = new ExponentialBackoff(options.backoff, options.random);
    this.breaker = new CircuitBreaker(BREAKER_NAME, options.breaker, this.clock, (state, previous) => {
      this.metrics.breakerState(BREAKER_NAME, state);
      const log = state === 'open' ? this.logger.warn : this.logger.info;
      log(`circuit breaker ${state.replace('_', '-')}`, { breaker: BREAKER_NAME, previous });
    });
    this.metrics.breakerState(BREAKER_NAME, 'closed');
    this.backfiller =
      options.restUrl === null
        ? null
        : new TradeBackfiller(
            new BinanceRestClient({ baseUrl: options.restUrl, clock: this.clock, weightPerMinute: options.restWeightPerMinute }),
            { newMessageId, now: this.now, maxTradesPerGap: options.maxBackfillPerGap, logger: this.logger },
          );
    this.queue = new PublishQueue(options.sink, options.bufferLimit ?? DEFAULT_BUFFER_LIMIT, this.opts.maxBatch);
    for (const s of options.symbols) this.symbolStats.set(s, { messages: 0, trades: 0, quotes: 0, lastPrice: null, reportedPrice: null });
  }

  /** Starts connecting; returns at once. */
  start(): void {
    if (this.running || this.stopPromise !== null) return;
    this.running = true;
    this.openConnection('initial');
  }

  /**
   * Closes the sockets, settles backfills, publishes everything buffered, flushes the sink.
   * With `publishDeadlineMs`, what is not published by then goes to `onUnpublished` instead
   * (counted in `unpublished`, the metric and an error log line) and the sink is not flushed.
   */
  stop(reason = 'shutdown', opts: StopOptions = {}): Promise<StreamStats> {
    this.stopPromise ??= this.doStop(reason, opts);
    return this.stopPromise;
  }

  snapshot(): StreamStats {
    const symbols: Record<string, SymbolStats> = {};
    for (const [s, v] of this.symbolStats) {
      symbols[s] = { messages: v.messages, trades: v.trades, quotes: v.quotes, lastPrice: v.lastPrice === null ? null : formatScaled(scaledPrice(v.lastPrice)) };
    }
    let state: StreamState;
    if (!this.running) state = 'stopped';
    else if (this.paused) state = 'paused';
    else if (this.primary !== null) state = 'connected';
    else state = this.stats.reconnects > 0 ? 'reconnecting' : 'connecting';
    return {
      ...this.stats,
      state,
      breaker: this.breaker.state,
      connections: this.conns.size,
      buffered: this.queue.size + this.heldCount,
      symbols,
    };
  }

  // ---- connections -------------------------------------------------------

  private openConnection(purpose: ConnMeta['purpose']): void {
    if (!this.running) return;
    this.attemptTimer?.cancel();
    this.attemptTimer = null;
    if (!this.breaker.allows()) {
      const wait = this.breaker.msUntilAllowed();
      this.metrics.reconnectDelay.set(wait / 1000);
      this.logger.warn('circuit breaker open: not connecting', { retry_in_ms: Math.ceil(wait) });
      this.attemptTimer = this.clock.setTimeout(() => this.openConnection(purpose), wait);
      return;
    }
    const base = this.options.urls[this.urlIndex % this.options.urls.length]!;
    this.urlIndex++;
    const url = combinedStreamUrl(base, this.options.symbols, this.options.channels);
    let markEnded!: () => void;
    const ended = new Promise<void>((r) => (markEnded = r));
    const conn = new StreamConnection(
      url,
      {
        onOpen: (c) => this.onOpen(c),
        onMessage: (c, frame) => this.onMessage(c, frame),
        onPing: () => this.metrics.pings.inc(),
        onEnd: (c, end) => this.onEnd(c, end),
      },
      { handshakeTimeoutMs: this.opts.handshakeTimeoutMs, now: this.clock.now() },
    );
    const watchdog = new StaleWatchdog(this.options.watchdogClock ?? systemClock, this.opts.staleAfterMs, (silent) => {
      this.logger.warn('stream stale: no message, reconnecting', { connection: conn.id, silent_ms: silent, stale_after_ms: this.opts.staleAfterMs });
      conn.terminate('stale');
    });
    this.conns.set(conn, { purpose, watchdog, stableTimer: null, rotationTimer: null, stable: false, seenFirst: false, ended, markEnded });
    this.logger.info('connecting', { connection: conn.id, url: base, purpose });
  }

  private onOpen(conn: StreamConnection): void {
    const meta = this.conns.get(conn);
    if (meta === undefined) return;
    // Under backpressure a new connection starts paused too; relievePressure resumes it.
    if (this.paused) conn.pause();
    else meta.watchdog.start();
    this.logger.debug('connection open', { connection: conn.id });
  }

  private onFirstMessage(conn: StreamConnection, meta: ConnMeta): void {
    this.breaker.recordSuccess();
    meta.stableTimer = this.clock.setTimeout(() => {
      meta.stableTimer = null;
      if (!conn.isOpen || conn.closeReason !== null) return;
      meta.stable = true;
      this.breaker.recordSuccess();
      this.backoff.reset();
    }, this.opts.stableAfterMs);
    const age = this.clock.now() - conn.openedAt;
    meta.rotationTimer = this.clock.setTimeout(() => this.replace('rotation'), Math.max(0, this.opts.rotateAfterMs - age));
    const previous = [...this.conns.keys()].filter((c) => c !== conn);
    this.primary = conn;
    this.metrics.connectionStatus.set(1);
    this.logger.info('connected: receiving', { connection: conn.id, purpose: meta.purpose });
    for (const old of previous) {
      this.logger.info('closing the replaced connection', { connection: old.id });
      old.close(meta.purpose === 'replacement' ? 'replaced' : 'superseded');
    }
    this.replacing = false;
    if (meta.purpose === 'reconnect') this.backfillAfterReconnect();
  }

  private onEnd(conn: StreamConnection, end: ConnectionEnd): void {
    const meta = this.conns.get(conn);
    if (meta === undefined) return;
    this.conns.delete(conn);
    meta.watchdog.stop();
    meta.stableTimer?.cancel();
    meta.rotationTimer?.cancel();
    meta.markEnded();
    const onPurpose = conn.closeReason === 'replaced' || conn.closeReason === 'superseded' || conn.closeReason === 'shutdown';
    if (!end.delivered && !onPurpose) {
      this.breaker.recordFailure();
      this.metrics.connectionErrors.inc();
      this.logger.warn('connection failed', { connection: conn.id, code: end.code, error: end.error ?? undefined, reason: end.reason || undefined });
    } else if (!onPurpose) {
      this.logger.warn('connection closed', { connection: conn.id, code: end.code, reason: conn.closeReason ?? (end.reason || undefined), error: end.error ?? undefined });
    }
    if (conn === this.primary) {
      this.primary = null;
      this.metrics.connectionStatus.set(0);
    }
    if (!this.running) return;
    if (meta.purpose === 'replacement' && !end.delivered) this.replacing = false;
    const alive = [...this.conns.keys()];
    if (alive.length > 0) {
      // A replacement failed while the old connection still serves: try again later.
      if (!this.replacing && this.primary !== null && !end.delivered) {
        const delay = this.backoff.next();
        this.replacing = true;
        this.attemptTimer = this.clock.setTimeout(() => {
          this.replacing = false;
          this.replace('rotation_retry');
        }, delay);
      }
      return;
    }
    if (this.attemptTimer !== null) return; // an attempt is already scheduled
    const reason = conn.closeReason ?? (end.delivered ? 'connection_lost' : 'connect_failed');
    let delay = meta.stable ? 0 : this.backoff.next();
    delay = Math.max(delay, this.breaker.msUntilAllowed());
    this.stats.reconnects++;
    this.metrics.reconnects.labels(reason).inc();
    this.metrics.reconnectDelay.set(delay / 1000);
    this.logger.info('reconnecting', { reason, delay_ms: Math.round(delay) });
    this.attemptTimer = this.clock.setTimeout(() => {
      this.attemptTimer = null;
      this.openConnection('reconnect');
    }, delay);
  }

  /** Opens a replacement connection; the current one is closed once it delivers. */
  private replace(reason: string): void {
    if (!this.running || this.replacing) return;
    this.replacing = true;
    this.stats.reconnects++;
    this.metrics.reconnects.labels(reason).inc();
    this.logger.info('opening a replacement connection', { reason });
    this.openConnection('replacement');
  }

  // ---- frames ------------------------------------------------------------

  private onMessage(conn: StreamConnection, frame: Buffer): void {
    const meta = this.conns.get(conn);
    if (meta === undefined || !this.running) return;
    if (!meta.seenFirst) {
      meta.seenFirst = true;
      this.onFirstMessage(conn, meta);
    }
    // one clock read (on the system clock) serves the receive time, the watchdog (when it runs
    // on the same clock) and the metric
    const micros = this.nowNumber();
    const wallMs = this.clock === systemClock ? micros / 1000 : this.clock.now();
    if (this.watchdogOnClock) meta.watchdog.touchAt(wallMs);
    else meta.watchdog.touch();
    const channel = this.converter.scan(frame);
    if (channel === 'trade' && this.directTrade(this.converter.scannedTrade, wallMs, micros)) return;
    const text = frameText(frame);
    const out = this.converter.convertAfterScan(text, channel, BigInt(micros));
    if (out.type === 'record') {
      const symbol = out.tagged.record.symbol;
      const s = this.statsOf(symbol);
      if (s === undefined) {
        // well-formed, but not a symbol this stream asked for: not ours to store
        const error = new BinanceMessageError('unsubscribed_symbol', `${out.channel} frame for ${symbol}, which this stream did not subscribe to`, { symbol, channel: out.channel });
        this.rejectFrame(text, error);
        return;
      }
      this.stats.messages++;
      this.metrics.received(symbol, wallMs / 1000);
      s.messages++;
      if (out.tagged.kind === 'trades') this.onTrade(out.channel as SequencedChannel, out.tagged.record);
      else if (out.tagged.kind === 'quotes') this.onQuote(out.tagged.record);
      this.checkMaxMessages();
    } else if (out.type === 'control') {
      if (out.event === 'serverShutdown') {
        this.logger.warn('serverShutdown received: opening a replacement connection', { connection: conn.id });
        this.replace('server_shutdown');
      }
    } else this.rejectFrame(text, out.error);
  }

  /**
   * The hot path: a well-formed @trade frame that continues its symbol's sequence goes into
   * the sink's open sealed batch as Avro, written straight from the scanned event by
   * TradeEventEncoder (the bytes of the record path, with no TradeV2 in between). False for
   * anything else, with nothing done: a symbol not subscribed, a gap, a duplicate, a backfill
   * running, an event the encoder refuses, a sink that cannot take it now. The record path
   * then handles the frame as it always does.
   */
  private directTrade(trade: ScannedTrade, wallMs: number, receivedMicros: number): boolean {
    const ev = trade.tradeNumbers;
    const s = this.statsOf(ev.s);
    if (s === undefined) return false;
    const st = this.sequence('trade', ev.s);
    if (st.backfilling || (st.last !== null && ev.t !== st.last + 1)) return false;
    if (!this.encoder.set(trade, receivedMicros) || !this.queue.pushTrade(ev.s, this.encoder)) return false;
    st.last = ev.t;
    this.stats.messages++;
    this.metrics.received(ev.s, wallMs / 1000);
    s.messages++;
    this.countTrade(s, this.encoder.priceUnits);
    this.afterPush();
    this.checkMaxMessages();
    return true;
  }

  private checkMaxMessages(): void {
    if (this.options.maxMessages !== undefined && this.stats.messages >= this.options.maxMessages) {
      this.options.onSelfStop?.('max_messages');
      void this.stop('max_messages');
    }
  }

  /** Counts, logs (the first 20, then every 1000th) and hands a rejected frame to the dead-letter sink. */
  private rejectFrame(text: string, error: BinanceMessageError): void {
    this.stats.errors++;
    this.metrics.messageErrors.labels(error.errorType).inc();
    if (this.stats.errors <= 20 || this.stats.errors % 1000 === 0) {
      this.logger.warn('rejected frame', { error_type: error.errorType, error: error.describe(), count: this.stats.errors });
    }
    this.options.onRejected?.(text, error);
  }

  private onQuote(rec: QuoteV2): void {
    const u = Number(rec.source_sequence);
    const last = this.lastQuoteId.get(rec.symbol);
    if (last !== undefined && u <= last) {
      this.duplicate(rec.symbol);
      return;
    }
    this.lastQuoteId.set(rec.symbol, u);
    this.emit({ kind: 'quotes', record: rec });
  }

  private onTrade(channel: SequencedChannel, rec: TradeV2): void {
    const st = this.sequence(channel, rec.symbol);
    const id = Number(rec.source_sequence);
    if (st.backfilling) {
      if (st.last !== null && id <= st.last) this.duplicate(rec.symbol);
      else this.hold(st, rec);
      return;
    }
    this.advance(st, rec, id);
  }

  private advance(st: SequenceState, rec: TradeV2, id: number): void {
    if (st.last === null || id === st.last + 1) {
      st.last = id;
      this.emit({ kind: 'trades', record: rec });
      return;
    }
    if (id <= st.last) {
      this.duplicate(rec.symbol);
      return;
    }
    const from = st.last + 1;
    const missing = id - from;
    this.stats.gapTrades += missing;
    this.metrics.gapTrades.labels(rec.symbol).inc(missing);
    this.logger.info('gap in trade ids', { symbol: rec.symbol, channel: st.channel, from, to: id - 1, missing });
    this.hold(st, rec);
    this.startBackfill(st, from, id - 1);
  }

  private hold(st: SequenceState, rec: TradeV2): void {
    // keep the held queue ordered by id (two connections may interleave during overlap)
    const id = rec.source_sequence!;
    const held = st.held;
    if (held.length === 0 || held[held.length - 1]!.source_sequence! < id) held.push(rec);
    else {
      let i = held.length - 1;
      while (i >= 0 && held[i]!.source_sequence! > id) i--;
      if (i >= 0 && held[i]!.source_sequence === id) {
        this.duplicate(rec.symbol);
        return;
      }
      held.splice(i + 1, 0, rec);
    }
    this.heldCount++;
    this.checkPressure();
  }

  private backfillAfterReconnect(): void {
    for (const st of this.sequences) {
      if (st.last !== null && !st.backfilling) this.startBackfill(st, st.last + 1, null);
    }
  }

  private startBackfill(st: SequenceState, from: number, to: number | null): void {
    st.backfilling = true;
    const p = this.runBackfill(st, from, to).finally(() => this.backfills.delete(p));
    this.backfills.add(p);
  }

  private async runBackfill(st: SequenceState, from: number, to: number | null): Promise<void> {
    let records: TradeV2[] = [];
    let source = 'none';
    let failure: string | null = null;
    if (this.backfiller !== null && !this.abort.signal.aborted) {
      try {
        const r = await this.backfiller.fill(
          {
            channel: st.channel,
            symbol: st.symbol,
            fromId: from,
            toId: to,
            stopBefore: () => (st.held.length > 0 ? Number(st.held[0]!.source_sequence) : null),
          },
          this.abort.signal,
        );
        records = r.records;
        source = r.source;
      } catch (err) {
        failure = errorMessage(err);
      }
    } else {
      failure = this.backfiller === null ? 'backfill disabled (no REST URL)' : 'shutting down';
    }
    let filled = 0;
    for (const r of records) {
      const id = Number(r.source_sequence);
      if (st.last !== null && id <= st.last) continue;
      st.last = id;
      this.emit({ kind: 'trades', record: r });
      filled++;
    }
    const unfilled = to === null ? 0 : Math.max(0, to - from + 1 - filled);
    if (to !== null) st.last = Math.max(st.last ?? to, to);
    this.stats.backfilled += filled;
    this.stats.unfilled += unfilled;
    if (filled > 0) this.metrics.backfilledTrades.labels(st.symbol).inc(filled);
    if (unfilled > 0) this.metrics.unfilledTrades.labels(st.symbol).inc(unfilled);
    if (to === null && filled > 0) {
      this.stats.gapTrades += filled;
      this.metrics.gapTrades.labels(st.symbol).inc(filled);
    }
    if (filled > 0 || unfilled > 0 || failure !== null) {
      const log = unfilled > 0 || failure !== null ? this.logger.warn : this.logger.info;
      log('backfill', { symbol: st.symbol, channel: st.channel, from, to: to ?? 'now', filled, unfilled, source, error: failure ?? undefined });
    }
    st.backfilling = false;
    const held = st.held;
    st.held = [];
    this.heldCount -= held.length;
    for (let i = 0; i < held.length; i++) {
      if (st.backfilling) {
        for (const r of held.slice(i)) this.hold(st, r);
        break;
      }
      const rec = held[i]!;
      this.advance(st, rec, Number(rec.source_sequence));
    }
  }

  /** The per-symbol counters, remembered for the last symbol (frames come in runs). */
  private statsOf(symbol: string): SymbolCounters | undefined {
    if (symbol !== this.lastStatsSymbol) {
      this.lastStatsSymbol = symbol;
      this.lastStats = this.symbolStats.get(symbol);
    }
    return this.lastStats;
  }

  private sequence(channel: SequencedChannel, symbol: string): SequenceState {
    const last = this.lastSequence;
    if (last !== null && last.symbol === symbol && last.channel === channel) return last;
    this.lastSequence = this.sequenceOf(channel, symbol);
    return this.lastSequence;
  }

  private sequenceOf(channel: SequencedChannel, symbol: string): SequenceState {
    const byChannel = channel === 'trade' ? this.tradeSequences : this.aggSequences;
    let st = byChannel.get(symbol);
    if (st === undefined) {
      st = { channel, symbol, last: null, backfilling: false, held: [] };
      byChannel.set(symbol, st);
      this.sequences.push(st);
    }
    return st;
  }

  private duplicate(symbol: string): void {
    this.stats.duplicates++;
    this.metrics.duplicates.labels(symbol).inc();
  }

  // ---- publishing --------------------------------------------------------

  private emit(tagged: TaggedRecord): void {
    this.queue.push(tagged);
    const s = this.statsOf(tagged.record.symbol);
    if (tagged.kind === 'trades') {
      if (s !== undefined) this.countTrade(s, tagged.record.price);
      else this.metrics.tradePrice(tagged.record.symbol, displayPrice(tagged.record.price));
    } else if (s !== undefined) s.quotes++;
    this.afterPush();
  }

  private countTrade(s: SymbolCounters, price: TradePrice): void {
    s.trades++;
    s.lastPrice = price;
    // the k2_last_trade_price gauge is set once per socket read (a microtask), not per trade
    if (!this.pricesChanged) {
      this.pricesChanged = true;
      queueMicrotask(this.reportPrices);
    }
  }

  /** After a record or trade was queued: backpressure, and the end-of-read seal and publish. */
  private afterPush(): void {
    this.checkPressure();
    if (!this.afterReadQueued) {
      this.afterReadQueued = true;
      // Seal and publish right after the current socket read is processed (a microtask),
      // not after the whole poll phase: records reach the sink while still young, and a
      // sealing sink lets them die before the next scavenge instead of promoting them.
      queueMicrotask(this.afterRead);
    }
  }

  private readonly afterRead = (): void => {
    this.afterReadQueued = false;
    this.queue.seal();
    if (!this.flushing) {
      this.flushing = true;
      void this.flushLoop();
    }
  };

  private readonly startFlush = (): void => void this.flushLoop();

  /** Copies each symbol's last trade price into the k2_last_trade_price gauge. */
  private readonly reportPrices = (): void => {
    this.pricesChanged = false;
    for (const [symbol, s] of this.symbolStats) {
      if (s.lastPrice !== null && s.lastPrice !== s.reportedPrice) {
        s.reportedPrice = s.lastPrice;
        this.metrics.tradePrice(symbol, displayPrice(scaledPrice(s.lastPrice)));
      }
    }
  };

  private async flushLoop(): Promise<void> {
    const producer = this.metrics.producer;
    for (let batch = this.queue.take(); batch !== null; batch = this.queue.take()) {
      this.inFlight = batch;
      const end = producer.publishSeconds.startTimer();
      try {
        await batch.publish();
        end();
      } catch (err) {
        // given up at the shutdown deadline: the batch went to onUnpublished with the rest
        if (this.abandoned) return;
        this.inFlight = null;
        producer.errors.inc();
        batch.putBack();
        this.logger.error('publish failed; retrying the batch', { records: batch.records, error: errorMessage(err) });
        await sleep(this.clock, this.opts.publishRetryMs);
        if (this.abandoned) return;
        continue;
      }
      // Acknowledged after the deadline: it went to onUnpublished too (a duplicate the
      // consumer drops by id if it is ever replayed, never a loss). Nothing more to do.
      if (this.abandoned) return;
      this.inFlight = null;
      producer.batches.inc();
      const trades = batch.trades;
      if (trades > 0) producer.records.labels('trades').inc(trades);
      if (batch.records > trades) producer.records.labels('quotes').inc(batch.records - trades);
      this.stats.published += batch.records;
      this.metrics.bufferedRecords.set(this.queue.size + this.heldCount);
      this.relievePressure();
    }
    this.flushing = false;
    this.metrics.bufferedRecords.set(this.heldCount);
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private checkPressure(): void {
    if (this.paused || this.queue.size + this.heldCount < this.queue.limit) return;
    this.paused = true;
    this.stats.overflows++;
    this.metrics.bufferOverflows.inc();
    this.metrics.bufferedRecords.set(this.queue.size + this.heldCount);
    this.logger.warn('backpressure: publish buffer full, pausing the stream (nothing is dropped)', {
      buffered: this.queue.size + this.heldCount,
      limit: this.queue.limit,
    });
    for (const [c, meta] of this.conns) {
      meta.watchdog.stop();
      c.pause();
    }
  }

  private relievePressure(): void {
    if (!this.paused || this.queue.size + this.heldCount > this.queue.limit / 2) return;
    this.paused = false;
    this.logger.info('backpressure relieved: resuming the stream', { buffered: this.queue.size + this.heldCount });
    for (const [c, meta] of this.conns) {
      c.resume();
      if (c.isOpen) meta.watchdog.start();
    }
  }

  private waitIdle(): Promise<void> {
    if (!this.flushing && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(this.startFlush);
      }
    });
  }

  /**
   * The publish deadline passed: stop publishing, and hand every record the sink has not
   * acknowledged (the batch in flight, then the queue, oldest first) to onUnpublished.
   */
  private abandonPublishing(deadlineMs: number): void {
    this.abandoned = true;
    this.inFlight?.putBack();
    this.inFlight = null;
    const { records, unrecoverable } = this.queue.drain();
    this.flushing = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
    const total = records.length + unrecoverable;
    this.metrics.bufferedRecords.set(0);
    if (total === 0) return;
    this.stats.unpublished += total;
    let trades = 0;
    for (const r of records) if (r.kind === 'trades') trades++;
    if (trades > 0) this.unpublishedRecords.labels('trades').inc(trades);
    if (records.length > trades) this.unpublishedRecords.labels('quotes').inc(records.length - trades);
    if (unrecoverable > 0) {
      this.unpublishedRecords.labels('unknown').inc(unrecoverable);
      this.logger.error('sealed records could not be turned back into records for the dead-letter file: lost', { records: unrecoverable });
    }
    this.logger.error('shutdown deadline: records received but not published (broker unreachable or too slow)', {
      records: total,
      trades,
      quotes: records.length - trades,
      deadline_ms: deadlineMs,
      dead_letter: this.options.onUnpublished === undefined ? 'none: lost' : UNPUBLISHED_AT_SHUTDOWN,
    });
    this.options.onUnpublished?.(records, UNPUBLISHED_AT_SHUTDOWN);
  }

  private async doStop(reason: string, opts: StopOptions): Promise<StreamStats> {
    const deadlineAt = opts.publishDeadlineMs === undefined ? null : systemClock.now() + opts.publishDeadlineMs;
    this.logger.info('stopping', { reason });
    this.running = false;
    this.attemptTimer?.cancel();
    this.attemptTimer = null;
    this.abort.abort();
    const ends: Promise<void>[] = [];
    for (const [c, meta] of this.conns) {
      meta.watchdog.stop();
      meta.stableTimer?.cancel();
      meta.rotationTimer?.cancel();
      c.close('shutdown');
      ends.push(meta.ended);
    }
    // the sockets close while the buffer drains; wait for them at most 2.5 s (the timer is
    // cancelled so that it does not keep the process alive after a clean close)
    let grace: ClockTimer | undefined;
    const socketsClosed = Promise.race([Promise.allSettled(ends), new Promise<void>((resolve) => (grace = systemClock.setTimeout(resolve, 2_500)))]);
    while (this.backfills.size > 0) await Promise.allSettled([...this.backfills]);
    // Whatever is still held behind an aborted backfill is published as is.
    for (const st of this.sequences) {
      for (const r of st.held) this.emit({ kind: 'trades', record: r });
      this.heldCount -= st.held.length;
      st.held = [];
    }
    const idle = this.waitIdle();
    let published = true;
    if (deadlineAt === null) await idle;
    else published = await settleWithin(idle, deadlineAt - systemClock.now());
    if (published) await this.options.sink.flush?.();
    else this.abandonPublishing(opts.publishDeadlineMs!);
    await socketsClosed;
    grace?.cancel();
    this.metrics.connectionStatus.set(0);
    this.metrics.bufferedRecords.set(0);
    this.logger.info('stopped', {
      reason,
      published: this.stats.published,
      gaps: this.stats.gapTrades,
      backfilled: this.stats.backfilled,
      unfilled: this.stats.unfilled,
      unpublished: this.stats.unpublished > 0 ? this.stats.unpublished : undefined,
    });
    return this.snapshot();
  }
}

/** k2_binance_unpublished_records_total on the metrics' registry (one counter per registry, however many clients). */
function unpublishedCounter(metrics: BinanceMetrics): Counter<'kind'> {
  const existing = metrics.registry.getSingleMetric(UNPUBLISHED_METRIC);
  if (existing !== undefined) return existing as Counter<'kind'>;
  const counter = new Counter({
    name: UNPUBLISHED_METRIC,
    help: 'Records received but not published by the shutdown deadline (broker gone or hung), written to the dead-letter file; by kind',
    labelNames: ['kind'],
    registers: [metrics.registry],
  });
  // shown at 0 from the start, so that an alert on any increase has a series to watch
  counter.labels('trades').inc(0);
  counter.labels('quotes').inc(0);
  return counter;
}

/** A trade price as scaled units. */
function scaledPrice(price: TradePrice): Scaled {
  return typeof price === 'number' ? BigInt(price) : price;
}

/** A scaled price as a JS number, for display gauges only (records keep the exact value). */
function displayPrice(price: Scaled): number {
  return Number(price / SCALE_FACTOR) + Number(price % SCALE_FACTOR) / 1e8;
}

const TIME_ORIGIN_MS = performance.timeOrigin;
/** nowMicros() with the time origin read once (performance.timeOrigin is a getter): called per frame. */
function receiveMicros(): Micros {
  return BigInt(receiveMicrosNumber());
}

function receiveMicrosNumber(): number {
  return Math.round((TIME_ORIGIN_MS + performance.now()) * 1000);
}
