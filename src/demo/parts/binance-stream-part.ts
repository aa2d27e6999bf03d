/**
 * The stream part backed by k2's resilient Binance client (reconnects with
 * backoff, circuit breaker, stale watchdog, gap backfill over REST). Every batch
 * the client publishes goes to the demo's listeners and then to the downstream
 * sink (the bus), so the screen shows exactly what the pipeline carries.
 */
import type { Logger } from '../../log/logger.js';
import { BinanceMetrics } from '../../metrics/binance-metrics.js';
import { createMetricsRegistry } from '../../metrics/registry.js';
import type { TaggedRecord } from '../../model/record-kind.js';
import type { RecordSink } from '../../sources/binance/record-sink.js';
import { BinanceStreamClient, type StreamState } from '../../sources/binance/stream-client.js';
import type { ConnectionState } from '../types.js';
import type { RecordListener, StreamPart, StreamStats } from '../parts.js';

export interface BinanceStreamPartOptions {
  symbols: readonly string[];
  /** WebSocket base URL (the client appends /stream?streams=...). */
  url: string;
  /** REST base URL for gap backfill. */
  restUrl: string;
  /** Where records go after the listeners; null discards them (nothing downstream is wired). */
  downstream: RecordSink | null;
  logger: Logger;
}

const STATE: Record<StreamState, ConnectionState> = {
  connecting: 'connecting',
  connected: 'open',
  reconnecting: 'reconnecting',
  paused: 'open',
  stopped: 'closed',
};

export class BinanceStreamPart implements StreamPart {
  readonly name = 'resilient Binance client';
  private readonly listeners: RecordListener[] = [];
  private readonly client: BinanceStreamClient;

  constructor(private readonly opts: BinanceStreamPartOptions) {
    const downstream = opts.downstream;
    const tee: RecordSink = {
      publish: async (batch: TaggedRecord[]) => {
        for (const tagged of batch) {
          const receivedAt = tagged.record.ingestion_timestamp;
          for (const l of this.listeners) l(tagged, receivedAt);
        }
        if (downstream !== null) await downstream.publish(batch);
      },
      flush: async () => {
        await downstream?.flush?.();
      },
    };
    this.client = new BinanceStreamClient({
      symbols: [...opts.symbols],
      channels: ['trade', 'bookTicker'],
      urls: [opts.url],
      restUrl: opts.restUrl,
      sink: tee,
      // a private registry: the demo serves no metrics port, and tests may run several
      metrics: new BinanceMetrics(createMetricsRegistry({ defaultMetrics: false })),
      logger: opts.logger.child({ component: 'stream' }),
      // the replay and live Binance both send several messages a second
      staleAfterMs: 15_000,
      backoff: { initialMs: 1000, maxMs: 10_000 },
    });
  }

  onRecord(listener: RecordListener): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    this.client.start();
  }

  stats(): StreamStats {
    const s = this.client.snapshot();
    return {
      connection: STATE[s.state],
      url: this.opts.url,
      reconnects: s.reconnects,
      gapsBackfilled: s.backfilled,
      gapsOpen: Math.max(0, s.gapTrades - s.backfilled - s.unfilled) + s.unfilled,
    };
  }

  async stop(): Promise<void> {
    await this.client.stop('demo stopping');
  }
}
