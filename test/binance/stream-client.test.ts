import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { formatScaled, parseScaled } from '../../src/model/decimal.js';
import { BinanceMetrics } from '../../src/metrics/binance-metrics.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { JumpClock } from '../../src/resilience/jump-clock.js';
import type { TaggedRecord } from '../../src/model/record-kind.js';
import { MemorySink, type RecordSink, type SealingSink } from '../../src/sources/binance/record-sink.js';
import { BinanceStreamClient, type BinanceStreamOptions } from '../../src/sources/binance/stream-client.js';
import { combinedStreamUrl } from '../../src/sources/binance/stream-url.js';
import { AvroSealingSink } from '../support/avro-sealing-sink.js';
import { BinanceEmulator, tapeTrade, waitFor } from '../support/binance-emulator.js';

let emu: BinanceEmulator | null = null;
let client: BinanceStreamClient | null = null;
let server: MetricsServer | null = null;
afterEach(async () => {
  await client?.stop();
  await emu?.close();
  await server?.close();
  client = null;
  emu = null;
  server = null;
});

function seq(r: TaggedRecord): bigint | null {
  return r.kind === 'reference_data' ? null : r.record.source_sequence;
}

function tradeIds(records: TaggedRecord[], symbol: string): number[] {
  return records.flatMap((r) => (r.kind === 'trades' && r.record.symbol === symbol ? [Number(r.record.source_sequence)] : []));
}

async function setup(symbols: string[], overrides: Partial<BinanceStreamOptions> = {}, emuOpts: { historicalTradesRequiresKey?: boolean } = {}) {
  emu = await BinanceEmulator.start({ symbols, ...emuOpts });
  const lines: string[] = [];
  const sink = overrides.sink ?? new MemorySink();
  const metrics = overrides.metrics ?? new BinanceMetrics(createMetricsRegistry());
  client = new BinanceStreamClient({
    symbols,
    channels: ['trade'],
    urls: [emu.wsUrl],
    restUrl: emu.restUrl,
    backoff: { initialMs: 10, maxMs: 50 },
    staleAfterMs: 5_000,
    stableAfterMs: 20,
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    ...overrides,
    sink,
    metrics,
  });
  client.start();
  const e = emu;
  await waitFor(() => e.openConnections === 1, 5_000, 'connection');
  return { emu: e, client, sink, metrics, lines };
}

describe('stream URL', () => {
  it('builds the combined-stream path with lower-case stream names', () => {
    expect(combinedStreamUrl('wss://stream.binance.com:9443', ['BTCUSDT', 'ETHUSDT'], ['trade', 'bookTicker'])).toBe(
      'wss://stream.binance.com:9443/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/ethusdt@bookTicker',
    );
    expect(combinedStreamUrl('wss://data-stream.binance.vision/stream/', ['BTCUSDT'], ['trade'])).toBe(
      'wss://data-stream.binance.vision/stream?streams=btcusdt@trade',
    );
  });
});

describe('gap backfill', () => {
  it('falls back to /api/v3/trades when historicalTrades is not served (key required)', async () => {
    const { emu: e, client: c, sink } = await setup(['BTCUSDT'], {}, { historicalTradesRequiresKey: true });
    e.emitTrades('BTCUSDT', 10);
    e.emitTrades('BTCUSDT', 25, false);
    e.emitTrades('BTCUSDT', 10);
    await waitFor(() => tradeIds((sink as MemorySink).records, 'BTCUSDT').length === 45, 5_000, '45 trades');
    expect(tradeIds((sink as MemorySink).records, 'BTCUSDT')).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    const filled = (sink as MemorySink).records.filter((r) => r.record.vendor_data?.backfilled === 'true');
    expect(filled).toHaveLength(25);
    expect(new Set(filled.map((r) => r.record.vendor_data?.backfill_source))).toEqual(new Set(['trades']));
    expect(e.restRequests.some((p) => p.startsWith('/api/v3/historicalTrades'))).toBe(true);
    expect(e.restRequests.some((p) => p.startsWith('/api/v3/trades'))).toBe(true);
    expect(c.snapshot()).toMatchObject({ gapTrades: 25, backfilled: 25, unfilled: 0 });
  });

  it('counts and logs what could not be filled, and goes on in order', async () => {
    const { emu: e, client: c, sink, metrics, lines } = await setup(['ETHUSDT']);
    e.emitTrades('ETHUSDT', 5);
    await waitFor(() => tradeIds((sink as MemorySink).records, 'ETHUSDT').length === 5, 5_000, '5 trades');
    e.restFailures = 1_000; // REST is down
    e.emitTrades('ETHUSDT', 7, false);
    e.emitTrades('ETHUSDT', 3);
    await waitFor(() => tradeIds((sink as MemorySink).records, 'ETHUSDT').length === 8, 10_000, '8 trades');
    expect(tradeIds((sink as MemorySink).records, 'ETHUSDT')).toEqual([1, 2, 3, 4, 5, 13, 14, 15]);
    expect(c.snapshot()).toMatchObject({ gapTrades: 7, backfilled: 0, unfilled: 7 });
    const unfilled = await metrics.registry.getSingleMetric('k2_binance_unfilled_trades_total')?.get();
    expect(unfilled?.values[0]).toMatchObject({ value: 7, labels: { symbol: 'ETHUSDT' } });
    expect(lines.some((l) => l.includes('WARN') && l.includes('backfill') && l.includes('unfilled=7'))).toBe(true);
  });

  it('backfills aggregate-trade gaps from /api/v3/aggTrades', async () => {
    emu = await BinanceEmulator.start({ symbols: ['BTCUSDT'] });
    const sink = new MemorySink();
    client = new BinanceStreamClient({ symbols: ['BTCUSDT'], channels: ['aggTrade'], urls: [emu.wsUrl], restUrl: emu.restUrl, sink });
    client.start();
    const e = emu;
    await waitFor(() => e.openConnections === 1, 5_000, 'connection');
    const agg = (a: number): string =>
      `{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"BTCUSDT","a":${a},"p":"1.5","q":"2","f":${a},"l":${a},"T":1718035200000,"m":false,"M":true}}`;
    e.emitTrades('BTCUSDT', 20, false); // the tape the REST aggTrades endpoint serves
    for (const a of [1, 2, 3, 9, 10]) e.sendRaw(agg(a));
    await waitFor(() => sink.records.length === 10, 5_000, '10 agg trades');
    expect(sink.records.map(seq)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n]);
    expect(sink.records.filter((r) => r.record.vendor_data?.backfill_source === 'aggTrades')).toHaveLength(5);
    expect(e.restRequests.some((p) => p.startsWith('/api/v3/aggTrades'))).toBe(true);
  });
});

describe('quotes', () => {
  it('publishes bookTicker quotes once each, dropping replays of older update ids', async () => {
    const { emu: e, sink } = await setup(['BTCUSDT'], { channels: ['bookTicker'] });
    e.emitQuotes('BTCUSDT', 5);
    e.sendRaw('{"stream":"btcusdt@bookTicker","data":{"u":3,"s":"BTCUSDT","b":"1","B":"1","a":"2","A":"1"}}');
    e.emitQuotes('BTCUSDT', 2);
    await waitFor(() => (sink as MemorySink).records.length === 7, 5_000, '7 quotes');
    expect((sink as MemorySink).records.map(seq)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect((sink as MemorySink).records.every((r) => r.kind === 'quotes')).toBe(true);
  });
});

/** Holds callers until released. */
class Gate {
  private open = false;
  private waiters: (() => void)[] = [];
  async pass(): Promise<void> {
    while (!this.open) await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

class GatedSink implements RecordSink {
  readonly records: TaggedRecord[] = [];
  readonly gate = new Gate();
  flushed = false;
  async publish(batch: TaggedRecord[]): Promise<void> {
    await this.gate.pass();
    this.records.push(...batch);
  }
  async flush(): Promise<void> {
    this.flushed = true;
  }
}

describe('backpressure', () => {
  it('pauses the stream at the bound, says so loudly, and drops nothing', async () => {
    const sink = new GatedSink();
    const { emu: e, client: c, metrics, lines } = await setup(['BTCUSDT'], { sink, bufferLimit: 50, maxBatch: 10 });
    e.emitTrades('BTCUSDT', 400);
    await waitFor(() => c.snapshot().overflows >= 1, 5_000, 'overflow');
    expect(c.snapshot().state).toBe('paused');
    expect(await metrics.registry.getSingleMetric('k2_binance_buffer_overflows_total')?.get()).toMatchObject({ values: [{ value: 1 }] });
    expect(lines.some((l) => l.includes('WARN') && l.includes('backpressure'))).toBe(true);
    sink.gate.release();
    await waitFor(() => sink.records.length === 400, 10_000, 'all 400 published');
    expect(sink.records.map((r) => Number(seq(r)))).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
  });
});

/** Seals batches into their trade ids; gated like GatedSink; its first publishSealed fails. */
class GatedSealingSink implements SealingSink<number[]> {
  readonly ids: number[] = [];
  seals = 0;
  failures = 0;
  readonly gate = new Gate();
  seal(batch: TaggedRecord[]): number[] {
    this.seals++;
    return batch.map((r) => Number(seq(r)));
  }
  async publishSealed(batches: number[][]): Promise<void> {
    await this.gate.pass();
    if (this.failures++ === 0) throw new Error('broker unavailable');
    for (const b of batches) this.ids.push(...b);
  }
  async publish(): Promise<void> {
    throw new Error('a sealing sink gets sealed batches');
  }
}

describe('sealing sink', () => {
  it('seals as records arrive, counts sealed records against the bound, retries a failed send, and keeps order', async () => {
    const sink = new GatedSealingSink();
    const { emu: e, client: c, lines } = await setup(['BTCUSDT'], { sink, bufferLimit: 50, maxBatch: 10, publishRetryMs: 20 });
    e.emitTrades('BTCUSDT', 400);
    await waitFor(() => c.snapshot().overflows >= 1, 5_000, 'overflow');
    expect(sink.seals).toBeGreaterThan(0); // sealed while the sink was still closed
    expect(c.snapshot().buffered).toBeGreaterThanOrEqual(50);
    sink.gate.release();
    await waitFor(() => sink.ids.length === 400, 10_000, 'all 400 published');
    expect(sink.ids).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(lines.some((l) => l.includes('publish failed; retrying the batch'))).toBe(true);
    expect(c.snapshot()).toMatchObject({ published: 400, buffered: 0 });
  });
});

describe('shutdown', () => {
  it('flushes every buffered record to the sink, then flushes the sink', async () => {
    const sink = new GatedSink();
    const { emu: e, client: c } = await setup(['BTCUSDT', 'ETHUSDT'], { sink });
    e.emitRound(150);
    await waitFor(() => c.snapshot().messages === 300, 5_000, '300 messages received');
    expect(sink.records).toHaveLength(0); // all still buffered
    const stopped = c.stop('test');
    sink.gate.release();
    const stats = await stopped;
    expect(sink.records).toHaveLength(300);
    expect(sink.flushed).toBe(true);
    expect(stats).toMatchObject({ state: 'stopped', published: 300, buffered: 0 });
    expect(e.openConnections).toBe(0);
  });
});

describe('frames for symbols not subscribed', () => {
  it('are rejected to the dead-letter sink and counted, not stored', async () => {
    const rejected: Array<{ text: string; type: string }> = [];
    const { emu: e, client: c, sink, metrics } = await setup(['BTCUSDT'], { onRejected: (text, err) => rejected.push({ text, type: err.errorType }) });
    e.emitTrades('BTCUSDT', 2);
    const stranger = JSON.stringify({ stream: 'ethusdt@trade', data: { e: 'trade', E: 1718035200123, s: 'ETHUSDT', t: 9, p: '3500.1', q: '0.5', T: 1718035200121, m: false, M: true } });
    e.sendRaw(stranger);
    e.emitTrades('BTCUSDT', 1);
    await waitFor(() => c.snapshot().messages === 3 && c.snapshot().errors === 1, 5_000, 'frames');
    await waitFor(() => (sink as MemorySink).records.length === 3, 5_000, 'published');
    expect((sink as MemorySink).records.every((r) => r.record.symbol === 'BTCUSDT')).toBe(true);
    expect(rejected).toEqual([{ text: stranger, type: 'unsubscribed_symbol' }]);
    expect(await metrics.registry.metrics()).toContain('k2_binance_message_errors_total{error_type="unsubscribed_symbol"} 1');
  });
});

describe('metrics exposure', () => {
  it('serves every issue-6 metric name on /metrics', async () => {
    const { emu: e, metrics } = await setup(['BTCUSDT']);
    e.emitTrades('BTCUSDT', 3);
    e.sendMalformedJson();
    server = await startMetricsServer(metrics.registry, 0, '127.0.0.1');
    const s = server;
    await waitFor(() => (client?.snapshot().messages ?? 0) === 3 && (client?.snapshot().errors ?? 0) === 1, 5_000, 'frames');
    await waitFor(() => (client?.snapshot().published ?? 0) === 3, 5_000, 'published');
    const res = await fetch(s.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const name of [
      'k2_binance_connection_status',
      'k2_binance_messages_received_total',
      'k2_binance_message_errors_total',
      'k2_binance_reconnects_total',
      'k2_binance_connection_errors_total',
      'k2_binance_last_message_timestamp_seconds',
      'k2_binance_reconnect_delay_seconds',
      'k2_binance_gap_trades_total',
      'k2_binance_backfilled_trades_total',
      'k2_circuit_breaker_state',
      'k2_last_trade_price',
      'k2_producer_records_total',
      'k2_producer_publish_duration_seconds',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('k2_binance_messages_received_total{symbol="BTCUSDT"} 3');
    expect(text).toContain('k2_binance_message_errors_total{error_type="malformed_json"} 1');
    expect(text).toContain('k2_binance_connection_status 1');
    // the gauge is set once per socket read, from the last trade's exact price
    expect(text).toContain(`k2_last_trade_price{symbol="BTCUSDT"} ${Number(tapeTrade('BTCUSDT', 3).price)}`);
    expect(text).toContain('k2_circuit_breaker_state{breaker="binance_ws"} 0');
    expect((await fetch(s.url.replace('/metrics', '/nope'))).status).toBe(404);
  });
});

describe('last trade price from the direct path', () => {
  it('gives the exact last price in the snapshot and the gauge when trades go from their frames to Avro', async () => {
    const sink = new AvroSealingSink();
    const { emu: e, metrics } = await setup(['BTCUSDT'], { sink });
    e.emitTrades('BTCUSDT', 5);
    await waitFor(() => (client?.snapshot().published ?? 0) === 5, 5_000, 'published');
    expect(sink.directTrades).toBe(5); // every trade took the direct path
    const last = tapeTrade('BTCUSDT', 5).price;
    expect(client!.snapshot().symbols.BTCUSDT!.lastPrice).toBe(formatScaled(parseScaled(last)));
    // the gauge is set once per socket read (a microtask), before the records are published
    expect(await metrics.registry.getSingleMetricAsString('k2_last_trade_price')).toContain(`k2_last_trade_price{symbol="BTCUSDT"} ${Number(last)}`);
  });
});

describe('24 h rotation', () => {
  it('retries a refused replacement while the old connection keeps serving, then swaps without a gap', async () => {
    const clock = new JumpClock();
    const { emu: e, client: c, sink, metrics } = await setup(['BTCUSDT'], { clock, rotateAfterMs: 3_600_000 });
    e.emitTrades('BTCUSDT', 10);
    await waitFor(() => (sink as MemorySink).records.length === 10 && c.snapshot().state === 'connected', 5_000, '10 trades');
    const opened = e.connectionsOpened;
    e.refuse(1);
    clock.jump(3_600_000);
    await waitFor(() => e.refusedAttempts === 1, 5_000, 'refused replacement');
    e.emitTrades('BTCUSDT', 10); // the old connection still delivers
    await waitFor(() => e.connectionsOpened === opened + 1, 5_000, 'replacement retry');
    e.emitTrades('BTCUSDT', 10);
    await waitFor(() => e.openConnections === 1 && (sink as MemorySink).records.length === 30, 5_000, 'swap');
    expect(tradeIds((sink as MemorySink).records, 'BTCUSDT')).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const reconnects = await metrics.registry.getSingleMetric('k2_binance_reconnects_total')?.get();
    const byReason = Object.fromEntries((reconnects?.values ?? []).map((v) => [v.labels.reason, v.value]));
    expect(byReason).toEqual({ rotation: 1, rotation_retry: 1 });
    expect(c.snapshot().gapTrades).toBe(0);
  });
});
