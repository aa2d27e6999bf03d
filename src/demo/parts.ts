/**
 * The parts a demo pipeline is composed of, as small interfaces. src/demo/pipeline.ts
 * builds them from the real modules (stream client, bus, consumer, Iceberg,
 * queries); src/demo/composed-pipeline.ts turns them into the DemoPipeline the UI
 * reads. A part that is not available is null, and the UI says "not wired".
 */
import type { TaggedRecord } from '../model/record-kind.js';
import type { Micros } from '../model/trade.js';
import type { RecordSink } from '../sources/binance/record-sink.js';
import type { Bar, ConnectionState, Freshness } from './types.js';

export type RecordListener = (tagged: TaggedRecord, receivedAt: Micros) => void;

export interface StreamStats {
  connection: ConnectionState;
  url: string;
  reconnects: number;
  gapsBackfilled: number;
  gapsOpen: number;
}

/** The market-data stream: connects, converts frames to v2 records, reconnects and backfills. */
export interface StreamPart {
  readonly name: string;
  /** Registers the listener every received (or backfilled) record goes to. */
  onRecord(listener: RecordListener): void;
  start(): Promise<void>;
  stats(): StreamStats;
  stop(): Promise<void>;
}

/** The bus the records are published to (embedded broker or Kafka). The stream part publishes through `sink`. */
export interface BusPart {
  readonly name: string;
  readonly sink: RecordSink;
  /** Records published so far. */
  published(): number;
  /** Flushes pending publishes and disconnects. */
  stop(): Promise<void>;
}

export interface LakeStats {
  /** Records the consumer has read from the bus (committed or buffered). */
  consumed: number;
  /** Rows in the demo's tables, in total. */
  rows: bigint;
  /** Rows this run committed. */
  committedThisRun: bigint;
  lastCommitAt: Micros | null;
  freshness: Freshness | null;
}

/** The consumer into Iceberg plus the query layer over it. */
export interface LakePart {
  readonly name: string;
  /** Tables the demo's rows land in, e.g. market_data.trades_v2. */
  readonly tables: string[];
  stats(): Promise<LakeStats>;
  /** 1-minute bars for a symbol. */
  bars(symbol: string): Promise<{ bars: Bar[]; source: string }>;
  /** Final commit and close. */
  stop(): Promise<void>;
}

export interface PipelineParts {
  stream: StreamPart;
  bus: BusPart | null;
  lake: LakePart | null;
  /** Why a part is missing, shown in the health panel and the exit report. */
  missing: { bus?: string; lake?: string };
}
