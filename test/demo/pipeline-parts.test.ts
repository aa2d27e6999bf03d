/**
 * The demo's pipeline composition: the resilient stream part against the replay
 * server (including gap backfill over the replay's REST endpoint), and the
 * composed pipeline's honest health when parts are missing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import type { TaggedRecord } from '../../src/model/record-kind.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { startComposedPipeline } from '../../src/demo/composed-pipeline.js';
import type { LakePart, StreamPart, StreamStats } from '../../src/demo/parts.js';
import { BinanceStreamPart } from '../../src/demo/parts/binance-stream-part.js';
import { startReplayServer, type ReplayServer } from '../../src/demo/replay/replay-server.js';
import { buildSampleSession } from '../../src/demo/sample/build-session.js';
import type { DemoEvent } from '../../src/demo/types.js';

const servers: ReplayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('BinanceStreamPart against the replay server', () => {
  it('receives every trade id exactly once, backfilling the ones the socket withheld over REST', async () => {
    const session = buildSampleSession(11, 60_000);
    const firstBtc = session.events.find((e) => e.frame.stream === 'btcusdt@trade')!.frame.data as { t: number };
    const withheld = (symbol: string, id: number): boolean => symbol === 'BTCUSDT' && (id - firstBtc.t) % 40 === 13;
    const server = await startReplayServer({ session, speed: 2, withholdTrade: withheld, tickMs: 5 });
    servers.push(server);
    const received: TradeV2[] = [];
    const part = new BinanceStreamPart({ symbols: ['BTCUSDT'], url: server.wsUrl, restUrl: server.restUrl, downstream: null, logger: silentLogger });
    part.onRecord((r: TaggedRecord) => {
      if (r.kind === 'trades') received.push(r.record);
    });
    await part.start();
    for (let i = 0; i < 1000 && received.length < 150; i++) await new Promise((r) => setTimeout(r, 20));
    await part.stop();
    const ids = received.map((t) => Number(t.source_sequence));
    const sorted = [...ids].sort((a, b) => a - b);
    expect(new Set(ids).size).toBe(ids.length); // exactly once
    expect(sorted).toEqual(sorted.map((_, i) => sorted[0]! + i)); // no holes
    const backfilled = received.filter((t) => t.vendor_data?.backfilled === 'true').map((t) => Number(t.source_sequence));
    expect(backfilled.length).toBeGreaterThanOrEqual(3);
    expect(backfilled.every((id) => withheld('BTCUSDT', id))).toBe(true);
    expect(part.stats().gapsBackfilled).toBe(backfilled.length);
  });
});

describe('composed pipeline', () => {
  function fakeStream(): StreamPart & { emit: (r: TaggedRecord) => void } {
    let listener: ((r: TaggedRecord, at: bigint) => void) | null = null;
    const stats: StreamStats = { connection: 'open', url: 'ws://x', reconnects: 1, gapsBackfilled: 2, gapsOpen: 0 };
    return {
      name: 'fake',
      onRecord: (l) => (listener = l),
      start: async () => undefined,
      stop: async () => undefined,
      stats: () => stats,
      emit: (r) => listener?.(r, r.record.ingestion_timestamp),
    };
  }
  const trade = (id: number): TaggedRecord => ({
    kind: 'trades',
    record: {
      message_id: `m${id}`, trade_id: `BINANCE-${id}`, symbol: 'BTCUSDT', exchange: 'BINANCE', asset_class: 'crypto', timestamp: 1_000_000n,
      price: 9_725_000_000_000n, quantity: 100_000n, currency: 'USDT', side: 'BUY', trade_conditions: [], source_sequence: BigInt(id),
      ingestion_timestamp: 2_000_000n, platform_sequence: null, vendor_data: null,
    },
  });

  it('reports missing parts as not wired, never as zeros, and says so on exit', async () => {
    const stream = fakeStream();
    const p = await startComposedPipeline({ mode: 'replay', symbols: ['BTCUSDT'], dataDir: '/tmp/x', logger: silentLogger, parts: { stream, bus: null, lake: null, missing: { bus: 'no bus here', lake: 'needs the bus' } } });
    const events: DemoEvent[] = [];
    p.onEvent((e) => events.push(e));
    stream.emit(trade(1));
    stream.emit(trade(2));
    expect(events.map((e) => (e.kind === 'trade' ? e.trade.tradeId : null))).toEqual([1n, 2n]);
    const h = p.health();
    expect(h).toMatchObject({ connection: 'open', reconnects: 1, gapsBackfilled: 2, busLag: null, icebergRows: null, lastCommitAt: null, freshness: null });
    expect(h.components.map((c) => [c.name, c.state])).toEqual([['stream', 'running'], ['bus', 'not wired'], ['iceberg', 'not wired']]);
    expect(await p.bars('BTCUSDT')).toEqual({ kind: 'waiting', reason: 'Iceberg not wired: needs the bus' });
    const summary = await p.stop();
    expect(summary.trades).toEqual({ BTCUSDT: 2 });
    expect(summary.icebergRows).toBeNull();
    expect(summary.storedThisRun).toBeNull();
    expect(summary.tables).toEqual([]);
    expect(summary.notes).toEqual(['not published to a bus: no bus here', 'not persisted to Iceberg: needs the bus']);
  });

  it('waits for the first commit before querying bars, then shows the lake figures', async () => {
    let committed = false;
    const lake: LakePart = {
      name: 'fake lake',
      tables: ['market_data.trades_v2'],
      stats: async () => ({ consumed: 5, rows: committed ? 5n : 0n, committedThisRun: committed ? 5n : 0n, lastCommitAt: committed ? 123n : null, freshness: committed ? { lastMs: 900, p50Ms: 800, p99Ms: 950, samples: 3 } : null }),
      bars: async () => ({ bars: [], source: 'fake' }),
      stop: async () => undefined,
    };
    const bus = { name: 'fake bus', sink: { publish: async () => undefined }, published: () => 8, stop: async () => undefined };
    const p = await startComposedPipeline({ mode: 'live', symbols: ['BTCUSDT'], dataDir: '/tmp/x', logger: silentLogger, pollMs: 10, parts: { stream: fakeStream(), bus, lake, missing: {} } });
    for (let i = 0; i < 100 && p.health().busLag === null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await p.bars('BTCUSDT')).toEqual({ kind: 'waiting', reason: 'waiting for first commit' });
    committed = true;
    for (let i = 0; i < 100 && p.health().icebergRows !== 5n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(p.health()).toMatchObject({ busLag: 3, icebergRows: 5n, lastCommitAt: 123n, freshness: { lastMs: 900 } });
    expect(await p.bars('BTCUSDT')).toMatchObject({ kind: 'bars', bars: [], source: 'fake' });
    const summary = await p.stop();
    expect(summary).toMatchObject({ icebergRows: 5n, storedThisRun: 5n, tables: ['market_data.trades_v2'], notes: [] });
  });
});
