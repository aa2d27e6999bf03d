/**
 * The local replay server against a real ws client and real HTTP: the Binance
 * combined-stream path, per-client stream filtering, times rewritten to the
 * (injected) clock, endless looping with increasing ids, and the REST endpoints
 * gap backfill uses, which only return trades already sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { isTradeData, type BinanceTradeData } from '../../src/demo/sample/binance-frames.js';
import { buildSampleSession } from '../../src/demo/sample/build-session.js';
import { startReplayServer, type ReplayServer } from '../../src/demo/replay/replay-server.js';
import type { HistoricalTrade, AggTradeRow } from '../../src/demo/replay/replay-timeline.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);
/** A short session (20 s of market time) so loops come quickly at a high replay speed. */
const session = buildSampleSession(7, 20_000);
const servers: ReplayServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(speed: number): Promise<ReplayServer> {
  // the server reads the clock once at start: that reading is T0, the replay origin
  let real0: number | null = null;
  const clock = (): number => {
    const now = Date.now();
    real0 ??= now;
    return T0 + (now - real0);
  };
  const server = await startReplayServer({ session, speed, clock, anchorMs: T0, tickMs: 5 });
  servers.push(server);
  return server;
}

interface Frame {
  stream: string;
  data: Record<string, unknown>;
}

/** Collects frames until `done` says so. */
function collect(url: string, done: (frames: Frame[]) => boolean): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames: Frame[] = [];
    ws.on('message', (raw) => {
      frames.push(JSON.parse(String(raw)) as Frame);
      if (done(frames)) {
        ws.close();
        resolve(frames);
      }
    });
    ws.on('error', reject);
  });
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

describe('replay server', () => {
  it('serves only the subscribed streams, in Binance shapes, with event times from its clock', async () => {
    const server = await start(4);
    const frames = await collect(server.streamUrl(['ETHUSDT'], ['trade']), (f) => f.length >= 40);
    expect(new Set(frames.map((f) => f.stream))).toEqual(new Set(['ethusdt@trade']));
    const first = session.events.find((e) => isTradeData(e.frame.data) && e.frame.data.s === 'ETHUSDT')!.frame.data as BinanceTradeData;
    const data = frames[0]!.data as BinanceTradeData;
    expect(Object.keys(data).sort()).toEqual(['E', 'M', 'T', 'e', 'm', 'p', 'q', 's', 't']);
    expect(data.t).toBe(first.t);
    expect(data.p).toBe(first.p);
    expect(data.E).toBe(T0 + first.E); // relative time + the replay origin
    expect(data.T).toBe(T0 + first.T);
    const ids = frames.map((f) => (f.data as BinanceTradeData).t);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
  });

  it('loops forever with trade ids, update ids and times that keep increasing', async () => {
    const server = await start(40); // 20 s session in 0.5 s per loop
    const btcTrades = session.events.filter((e) => e.frame.stream === 'btcusdt@trade').length;
    const frames = await collect(server.streamUrl(['BTCUSDT']), (f) => f.filter((x) => x.stream === 'btcusdt@trade').length > btcTrades * 2 + 5);
    const trades = frames.filter((f) => f.stream === 'btcusdt@trade').map((f) => f.data as BinanceTradeData);
    expect(trades.map((t) => t.t)).toEqual(trades.map((_, i) => trades[0]!.t + i));
    for (let i = 1; i < trades.length; i++) expect(trades[i]!.E).toBeGreaterThanOrEqual(trades[i - 1]!.E);
    expect(trades[trades.length - 1]!.E - trades[0]!.E).toBeGreaterThan(2 * session.header.duration_ms - 1000);
    const updates = frames.filter((f) => f.stream === 'btcusdt@bookTicker').map((f) => f.data.u as number);
    for (let i = 1; i < updates.length; i++) expect(updates[i]).toBeGreaterThan(updates[i - 1]!);
    expect(server.stats().loops).toBeGreaterThanOrEqual(2);
  });

  it('anchors the endless timeline in wall-clock time: a later start serves later, higher ids', async () => {
    const anchor = Date.UTC(2025, 0, 1);
    const at = (ms: number) => () => ms;
    const first = await startReplayServer({ session, clock: at(anchor + 5_000), anchorMs: anchor });
    const later = await startReplayServer({ session, clock: at(anchor + 3 * session.header.duration_ms + 5_000), anchorMs: anchor });
    servers.push(first, later);
    const ids = async (s: ReplayServer) =>
      (await getJson<HistoricalTrade[]>(`${s.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&limit=1`)).body.map((t) => [t.id, t.time]);
    const [[id1, t1]] = await ids(first);
    const [[id2, t2]] = await ids(later);
    const btcPerLoop = session.events.filter((e) => e.frame.stream === 'btcusdt@trade').length;
    expect(id2! - id1!).toBe(3 * btcPerLoop); // same point of the session, three loops on
    expect(t2! - t1!).toBe(3 * session.header.duration_ms);
    expect(t1!).toBeLessThanOrEqual(anchor + 5_000);
  });

  it('answers historicalTrades and aggTrades with the trades already sent, for gap backfill', async () => {
    const server = await start(4);
    const frames = await collect(server.streamUrl(['BTCUSDT'], ['trade']), (f) => f.length >= 30);
    const sent = frames.map((f) => f.data as BinanceTradeData);
    const fromId = sent[5]!.t;
    const { status, body } = await getJson<HistoricalTrade[]>(`${server.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${fromId}&limit=10`);
    expect(status).toBe(200);
    expect(body.map((t) => t.id)).toEqual(sent.slice(5, 15).map((t) => t.t));
    expect(body[0]).toEqual({
      id: sent[5]!.t,
      price: sent[5]!.p,
      qty: sent[5]!.q,
      quoteQty: expect.stringMatching(/^\d+(\.\d+)?$/),
      time: sent[5]!.T,
      isBuyerMaker: sent[5]!.m,
      isBestMatch: true,
    });
    // the future is not served: far beyond what was sent comes back empty
    const future = await getJson<HistoricalTrade[]>(`${server.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${sent[0]!.t + 1_000_000}`);
    expect(future.body).toEqual([]);
    const aggs = await getJson<AggTradeRow[]>(`${server.restUrl}/api/v3/aggTrades?symbol=BTCUSDT&fromId=1&limit=5`);
    expect(aggs.status).toBe(200);
    expect(aggs.body[0]!.f).toBe(session.events.flatMap((e) => (e.frame.stream === 'btcusdt@trade' ? [(e.frame.data as BinanceTradeData).t] : []))[0]);
    for (let i = 1; i < aggs.body.length; i++) expect(aggs.body[i]!.f).toBe(aggs.body[i - 1]!.l + 1);
  });

  it('rejects bad requests the way Binance does', async () => {
    const server = await start(1);
    expect((await getJson<{ code: number }>(`${server.restUrl}/api/v3/historicalTrades?symbol=NOPEUSDT`)).body.code).toBe(-1121);
    expect((await getJson<{ code: number }>(`${server.restUrl}/api/v3/historicalTrades`)).status).toBe(400);
    expect((await getJson<{ code: number }>(`${server.restUrl}/api/v3/historicalTrades?symbol=BTCUSDT&limit=5000`)).status).toBe(400);
    expect((await getJson<{ serverTime: number }>(`${server.restUrl}/api/v3/time`)).body.serverTime).toBeGreaterThanOrEqual(T0);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${server.wsUrl}/stream`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(400);
  });

  it('answers SUBSCRIBE and LIST_SUBSCRIPTIONS on the combined stream', async () => {
    const server = await start(1);
    const ws = new WebSocket(server.streamUrl(['BTCUSDT'], ['trade']));
    await new Promise((r) => ws.once('open', r));
    const replies: unknown[] = [];
    const got = new Promise<void>((resolve) =>
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as { id?: number };
        if (msg.id !== undefined) replies.push(msg);
        if (replies.length === 2) resolve();
      }),
    );
    ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ethusdt@trade'], id: 1 }));
    ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 2 }));
    await got;
    ws.close();
    expect(replies).toEqual([{ result: null, id: 1 }, { result: ['btcusdt@trade', 'ethusdt@trade'], id: 2 }]);
  });
});
