/**
 * Headline (issue 6): the emulator emits trade ids 1..N for 3 symbols while it
 * injects every fault; afterwards the sink holds every id exactly once, in order
 * per symbol, and the backfilled ones carry the exact tape values. Run twice: into a
 * memory sink (the records as the client makes them), and into a sink that seals Avro as
 * the bus does, where live trades are written straight from their frames (the hot path)
 * and everything else is sealed from records: both must give the same tape.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { BinanceMetrics } from '../../src/metrics/binance-metrics.js';
import { JumpClock } from '../../src/resilience/jump-clock.js';
import { parseScaled } from '../../src/model/decimal.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { BinanceStreamClient } from '../../src/sources/binance/stream-client.js';
import { MemorySink } from '../../src/sources/binance/record-sink.js';
import { AvroSealingSink } from '../support/avro-sealing-sink.js';
import { BinanceEmulator, tapeTrade, TAPE_START_MS, waitFor } from '../support/binance-emulator.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBBTC'];
const HOUR = 3_600_000;

let emu: BinanceEmulator | null = null;
let client: BinanceStreamClient | null = null;
afterEach(async () => {
  await client?.stop();
  await emu?.close();
  client = null;
  emu = null;
});

async function metricValue(metrics: BinanceMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

const SINKS = [
  { name: 'a memory sink', make: () => new MemorySink() },
  { name: 'a sink sealing Avro (live trades straight from the frames)', make: () => new AvroSealingSink() },
];

describe.each(SINKS)('k2 stream binance: gap-free capture under every fault, into $name', ({ make }) => {
  it('holds every trade id exactly once, in order per symbol', async () => {
    const clock = new JumpClock();
    emu = await BinanceEmulator.start({ symbols: SYMBOLS, clock });
    const sink = make();
    const metrics = new BinanceMetrics(createMetricsRegistry());
    const port = new URL(emu.wsUrl).port;
    client = new BinanceStreamClient({
      symbols: SYMBOLS,
      channels: ['trade'],
      // two names for the same emulator, to see failover rotation
      urls: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`],
      restUrl: emu.restUrl,
      sink,
      metrics,
      clock,
      backoff: { initialMs: 20, maxMs: 200 },
      breaker: { failureThreshold: 3, openMs: 400, halfOpenSuccesses: 2 },
      staleAfterMs: 1_000,
      stableAfterMs: 50,
      rotateAfterMs: 23 * HOUR + 50 * 60_000,
    });
    const e = emu;
    const c = client;
    const connected = (): boolean => c.snapshot().state === 'connected';
    // On a timeout, say where everything stood.
    const wait = async (pred: () => boolean, ms: number, what: string): Promise<void> => {
      try {
        await waitFor(pred, ms * 2, what);
      } catch (err) {
        const { symbols: _s, ...stats } = c.snapshot();
        throw new Error(`${(err as Error).message}; client ${JSON.stringify(stats)}; emulator open=${e.openConnections} opened=${e.connectionsOpened} attempts=${e.upgradeAttempts}`);
      }
    };
    const newConnection = async (before: number, what: string): Promise<void> => {
      await wait(() => e.connectionsOpened > before && e.openConnections >= 1, 10_000, what);
    };
    c.start();
    await wait(() => e.openConnections === 1, 5_000, 'first connection');

    // 1. normal flow
    e.emitRound(100);
    await wait(connected, 5_000, 'connected');

    // 2. skipped ids: produced (REST has them) but never sent live
    e.emitTrades('ETHUSDT', 30, false);
    e.emitRound(20);

    // 3. malformed JSON and unknown event types
    e.sendMalformedJson();
    e.sendUnknownEvent();
    e.emitRound(20);

    // 4. pings: ws answers with a pong echoing the payload
    const pongs = await e.ping(Buffer.from('k2-ping-payload'));
    expect(pongs.map((p) => p.toString())).toEqual(['k2-ping-payload']);

    // 5. drop mid-stream; trades produced while down
    let before = e.connectionsOpened;
    e.emitRound(30);
    e.dropAll();
    e.emitRound(40, false);
    await newConnection(before, 'reconnect after drop');
    e.emitRound(30);

    // 6. stall without closing: the watchdog must notice
    await wait(() => c.snapshot().state === 'connected', 5_000, 'connected before stall');
    before = e.connectionsOpened;
    e.stallAll();
    e.emitRound(50);
    await newConnection(before, 'reconnect after stall');
    e.emitRound(30);

    // 7. serverShutdown: a replacement connection, overlap deduped by id
    await wait(connected, 5_000, 'connected before serverShutdown');
    before = e.connectionsOpened;
    e.sendServerShutdown();
    await newConnection(before, 'replacement after serverShutdown');
    e.emitRound(30);
    await wait(() => e.openConnections === 1, 5_000, 'old connection closed after serverShutdown');

    // 8. the 24 h limit: at 23 h 50 min k2 opens a replacement and closes the old one itself
    await wait(connected, 5_000, 'connected before rotation');
    before = e.connectionsOpened;
    clock.jump(23 * HOUR + 55 * 60_000);
    await newConnection(before, 'rotation replacement');
    e.emitRound(30);
    await wait(() => e.openConnections === 1, 5_000, 'old connection closed after rotation');
    e.emitRound(10);

    // 9. ... and the emulator's own close at 24 h
    await wait(connected, 5_000, 'connected before 24h close');
    before = e.connectionsOpened;
    clock.jump(24 * HOUR + 60_000);
    e.emitRound(10);
    await newConnection(before, 'reconnect after 24h close');
    e.emitRound(30);

    // 10. refused connections trip the breaker, which really opens
    await wait(connected, 5_000, 'connected before refusals');
    const attemptsBefore = e.upgradeAttempts;
    e.refuse(1_000);
    e.dropAll();
    e.emitRound(40, false);
    await wait(() => c.snapshot().breaker === 'open', 5_000, 'breaker open');
    expect(await metricValue(metrics, 'k2_circuit_breaker_state', { breaker: 'binance_ws' })).toBe(2);
    expect(e.upgradeAttempts - attemptsBefore).toBe(3); // 3 failures, then no attempt while open
    e.refuse(0);
    before = e.connectionsOpened;
    await newConnection(before, 'half-open probe');
    expect(e.upgradeAttempts - attemptsBefore).toBe(4);
    e.emitRound(40);
    await wait(() => c.snapshot().breaker === 'closed', 5_000, 'breaker closed after 2 successes');

    // 11. the end
    e.emitRound(50);
    await wait(
      () => SYMBOLS.every((s) => sink.records.filter((r) => r.kind === 'trades' && r.record.symbol === s).length >= e.lastId(s)),
      15_000,
      'every id in the sink',
    );
    await c.stop();

    for (const s of SYMBOLS) {
      const trades = sink.records.flatMap((r) => (r.kind === 'trades' && r.record.symbol === s ? [r.record] : []));
      const ids = trades.map((t) => Number(t.source_sequence));
      expect(ids).toEqual(Array.from({ length: e.lastId(s) }, (_, i) => i + 1));
      for (const t of trades) expectTapeValues(s, t);
    }
    const backfilled = sink.records.filter((r) => r.kind === 'trades' && r.record.vendor_data?.backfilled === 'true');
    expect(backfilled.length).toBeGreaterThanOrEqual(30 + 3 * 40 + 3 * 40);
    const messageIds = new Set(sink.records.map((r) => r.record.message_id));
    expect(messageIds.size).toBe(sink.records.length);
    if (sink instanceof AvroSealingSink) {
      // both paths ran: live trades from their frames, backfilled and held ones from records
      expect(sink.directTrades).toBeGreaterThan(0);
      expect(sink.sealedRecords).toBeGreaterThanOrEqual(backfilled.length);
      expect(sink.directTrades + sink.sealedRecords).toBe(sink.records.length);
    }

    const stats = c.snapshot();
    expect(stats.unfilled).toBe(0);
    expect(stats.backfilled).toBe(backfilled.length);
    expect(stats.errors).toBe(2);
    expect(stats.duplicates).toBeGreaterThan(0); // the serverShutdown/rotation overlaps delivered ids twice
    expect(await metricValue(metrics, 'k2_binance_message_errors_total', { error_type: 'malformed_json' })).toBe(1);
    expect(await metricValue(metrics, 'k2_binance_message_errors_total', { error_type: 'unknown_event' })).toBe(1);
    expect(await metricValue(metrics, 'k2_binance_reconnects_total', { reason: 'stale' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(metrics, 'k2_binance_reconnects_total', { reason: 'server_shutdown' })).toBe(1);
    expect(await metricValue(metrics, 'k2_binance_reconnects_total', { reason: 'rotation' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(metrics, 'k2_binance_connection_errors_total')).toBe(3);
    expect(await metricValue(metrics, 'k2_binance_backfilled_trades_total', { symbol: 'ETHUSDT' })).toBeGreaterThanOrEqual(30);
    expect(await metricValue(metrics, 'k2_binance_pings_total')).toBe(1);
    // failover: both URLs were used
    expect(new Set(e.hostsSeen.map((h) => h.split(':')[0]))).toEqual(new Set(['127.0.0.1', 'localhost']));
  }, 60_000);
});

function expectTapeValues(symbol: string, t: TradeV2): void {
  const tape = tapeTrade(symbol, Number(t.source_sequence));
  expect(t.trade_id).toBe(`BINANCE-${tape.id}`);
  expect(t.price).toBe(parseScaled(tape.price));
  expect(t.quantity).toBe(parseScaled(tape.qty));
  expect(t.timestamp).toBe(BigInt(tape.time) * 1000n);
  expect(t.side).toBe(tape.isBuyerMaker ? 'SELL' : 'BUY');
  expect(t.vendor_data?.is_buyer_maker).toBe(String(tape.isBuyerMaker));
  expect(t.vendor_data?.trade_time).toBe(String(tape.time));
  expect(tape.time).toBeGreaterThan(TAPE_START_MS);
}
