/**
 * The small interfaces the demo composes the pipeline through. The UI, the plain
 * summaries and the exit report only see these; src/demo/pipeline.ts adapts the
 * real parts (stream client, bus, consumer, Iceberg, queries) to them.
 */
import type { Scaled } from '../model/decimal.js';
import type { TradeSide } from '../model/enums.js';
import type { Micros } from '../model/trade.js';

/** Where the market data comes from: live Binance, or the bundled sample through the local replay server. */
export type DemoMode = 'live' | 'replay';

/** A trade as the demo displays it. Prices and quantities stay exact (units of 1e-8). */
export interface DemoTrade {
  symbol: string;
  tradeId: bigint;
  side: TradeSide;
  price: Scaled;
  quantity: Scaled;
  /** Exchange trade time. */
  tradeTime: Micros;
  /** When k2 received it. */
  receivedAt: Micros;
  backfilled: boolean;
}

/** A top-of-book update; the demo counts it in msg/s. */
export interface DemoQuote {
  symbol: string;
  bid: Scaled | null;
  ask: Scaled | null;
  receivedAt: Micros;
}

export type DemoEvent = { kind: 'trade'; trade: DemoTrade } | { kind: 'quote'; quote: DemoQuote };

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** One part of the pipeline and whether it runs in this process. */
export interface ComponentStatus {
  name: string;
  state: 'running' | 'not wired' | 'failed' | 'stopped';
  detail?: string;
}

/** Freshness: from k2 receiving a trade to that trade being queryable. */
export interface Freshness {
  lastMs: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

/**
 * What the Pipeline health panel shows. A null value means that part is not
 * wired (or has not produced the figure yet); the UI says which, never shows 0.
 */
export interface PipelineHealth {
  connection: ConnectionState;
  url: string;
  reconnects: number;
  /** Trades fetched over REST to close gaps after reconnects or id jumps. */
  gapsBackfilled: number;
  /** Missing trade ids seen that were not (yet) backfilled. */
  gapsOpen: number;
  /** Records published to the bus and not yet consumed into Iceberg. */
  busLag: number | null;
  icebergRows: bigint | null;
  lastCommitAt: Micros | null;
  freshness: Freshness | null;
  components: ComponentStatus[];
}

/** One OHLCV bar. */
export interface Bar {
  /** Bucket start. */
  start: Micros;
  open: Scaled;
  high: Scaled;
  low: Scaled;
  close: Scaled;
  volume: Scaled;
  vwap: Scaled;
  trades: number;
}

export type BarsAnswer =
  | { kind: 'bars'; bars: Bar[]; source: string; queriedAt: Micros }
  | { kind: 'waiting'; reason: string };

/** What the demo captured, printed on exit with how to query it. */
export interface CaptureSummary {
  mode: DemoMode;
  url: string;
  seconds: number;
  trades: Record<string, number>;
  quotes: number;
  /** Rows in the Iceberg tables in total, and committed by this run; null when nothing is persisted. */
  icebergRows: bigint | null;
  storedThisRun: bigint | null;
  dataDir: string;
  /** Tables the rows landed in, e.g. market_data.trades_v2; empty when nothing was persisted. */
  tables: string[];
  notes: string[];
}

/** The running pipeline as the demo sees it. */
export interface DemoPipeline {
  readonly mode: DemoMode;
  readonly symbols: readonly string[];
  /** Subscribes to trades and quotes as they are received; returns the unsubscribe. */
  onEvent(listener: (event: DemoEvent) => void): () => void;
  health(): PipelineHealth;
  /** 1-minute bars for a symbol, from Iceberg (plus the uncommitted tail where the query layer supports it). */
  bars(symbol: string): Promise<BarsAnswer>;
  /** Stops everything in order (socket, producer flush, final commit) and reports what was captured. */
  stop(): Promise<CaptureSummary>;
}
