/**
 * The Binance stream's Prometheus metrics (issue 6), with the exact names the
 * issue lists plus a few for backpressure, duplicates and unfilled gaps.
 * The per-message ones (messages received, last message time, last price) are
 * plain fields updated on the hot path and copied into prom-client at scrape
 * time (`collect`), because a labelled prom-client increment hashes its labels
 * on every call.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { BREAKER_STATE_VALUE, type BreakerState } from '../resilience/circuit-breaker.js';
import { ProducerMetrics } from './producer-metrics.js';

interface SymbolCells {
  received: number;
  reported: number;
  price: number | null;
}

export class BinanceMetrics {
  readonly connectionStatus: Gauge;
  readonly messagesReceived: Counter<'symbol'>;
  readonly messageErrors: Counter<'error_type'>;
  readonly reconnects: Counter<'reason'>;
  readonly connectionErrors: Counter;
  readonly lastMessageTimestamp: Gauge;
  readonly reconnectDelay: Gauge;
  readonly gapTrades: Counter<'symbol'>;
  readonly backfilledTrades: Counter<'symbol'>;
  readonly unfilledTrades: Counter<'symbol'>;
  readonly duplicates: Counter<'symbol'>;
  readonly circuitBreakerState: Gauge<'breaker'>;
  readonly lastTradePrice: Gauge<'symbol'>;
  readonly bufferedRecords: Gauge;
  readonly bufferOverflows: Counter;
  readonly pings: Counter;
  readonly producer: ProducerMetrics;

  private readonly cells = new Map<string, SymbolCells>();
  private lastMessageSeconds = 0;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.connectionStatus = new Gauge({ name: 'k2_binance_connection_status', help: '1 when a Binance stream connection is delivering, else 0', registers });
    const cells = this.cells;
    this.messagesReceived = new Counter({
      name: 'k2_binance_messages_received_total',
      help: 'Valid data messages received, by symbol',
      labelNames: ['symbol'],
      registers,
      collect() {
        for (const [symbol, c] of cells) {
          if (c.received > c.reported) this.labels(symbol).inc(c.received - c.reported);
          c.reported = c.received;
        }
      },
    });
    this.messageErrors = new Counter({ name: 'k2_binance_message_errors_total', help: 'Frames rejected, by error type', labelNames: ['error_type'], registers });
    this.reconnects = new Counter({ name: 'k2_binance_reconnects_total', help: 'Reconnects and connection replacements, by reason', labelNames: ['reason'], registers });
    this.connectionErrors = new Counter({ name: 'k2_binance_connection_errors_total', help: 'Connection attempts that failed before delivering data', registers });
    const self = this;
    this.lastMessageTimestamp = new Gauge({
      name: 'k2_binance_last_message_timestamp_seconds',
      help: 'Unix time of the last message received',
      registers,
      collect() {
        if (self.lastMessageSeconds > 0) this.set(self.lastMessageSeconds);
      },
    });
    this.reconnectDelay = new Gauge({ name: 'k2_binance_reconnect_delay_seconds', help: 'The delay before the next (or last) reconnect attempt', registers });
    this.gapTrades = new Counter({ name: 'k2_binance_gap_trades_total', help: 'Trade ids found missing from the live stream, by symbol', labelNames: ['symbol'], registers });
    this.backfilledTrades = new Counter({ name: 'k2_binance_backfilled_trades_total', help: 'Missing trades fetched over REST and published, by symbol', labelNames: ['symbol'], registers });
    this.unfilledTrades = new Counter({ name: 'k2_binance_unfilled_trades_total', help: 'Missing trades that could not be backfilled, by symbol', labelNames: ['symbol'], registers });
    this.duplicates = new Counter({ name: 'k2_binance_duplicate_messages_total', help: 'Messages dropped as already published (connection overlap, backfill), by symbol', labelNames: ['symbol'], registers });
    this.circuitBreakerState = new Gauge({ name: 'k2_circuit_breaker_state', help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open', labelNames: ['breaker'], registers });
    this.lastTradePrice = new Gauge({
      name: 'k2_last_trade_price',
      help: 'Price of the last trade, by symbol (display only; records keep exact decimals)',
      labelNames: ['symbol'],
      registers,
      collect() {
        for (const [symbol, c] of cells) if (c.price !== null) this.labels(symbol).set(c.price);
      },
    });
    this.bufferedRecords = new Gauge({ name: 'k2_binance_buffered_records', help: 'Records waiting to be published (buffer plus records held behind a backfill)', registers });
    this.bufferOverflows = new Counter({ name: 'k2_binance_buffer_overflows_total', help: 'Times the publish buffer reached its bound and the socket was paused', registers });
    this.pings = new Counter({ name: 'k2_binance_pings_total', help: 'Server ping frames received (answered with a pong echoing the payload)', registers });
    this.producer = new ProducerMetrics(registry);
    this.connectionStatus.set(0);
  }

  /** A valid data message of `symbol` arrived at `unixSeconds`. */
  received(symbol: string, unixSeconds: number): void {
    this.cell(symbol).received++;
    this.lastMessageSeconds = unixSeconds;
  }

  tradePrice(symbol: string, price: number): void {
    this.cell(symbol).price = price;
  }

  private cell(symbol: string): SymbolCells {
    let c = this.cells.get(symbol);
    if (c === undefined) {
      c = { received: 0, reported: 0, price: null };
      this.cells.set(symbol, c);
    }
    return c;
  }

  breakerState(breaker: string, state: BreakerState): void {
    this.circuitBreakerState.labels(breaker).set(BREAKER_STATE_VALUE[state]);
  }
}
