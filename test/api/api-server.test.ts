/**
 * The HTTP API over real TCP and real Iceberg tables: results match the reference,
 * API key 401/403, 400 naming the parameter, capped limits, injection strings as
 * literal no-match answers, health, metrics and the OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../src/api/api-server.js';
import { createApiMetrics } from '../../src/api/api-metrics.js';
import { silentLogger } from '../../src/log/logger.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { IcebergDataFileSource } from '../../src/query/iceberg-data-file-source.js';
import { QueryService } from '../../src/query/query-service.js';
import { spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { icebergFixture, type IcebergFixture } from '../query/support/iceberg-fixture.js';
import { localDay, referenceOhlcv, syntheticQuotes, syntheticTrades } from '../query/support/synthetic-trades.js';

const KEY = 'test-key-123';

describe('k2 serve API', () => {
  const tmp = tempDir('k2-api-');
  let fx: IcebergFixture;
  let app: FastifyInstance;
  let base: string;
  let trades: TradeV2[];

  const get = async (path: string, key: string | null = KEY): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${base}${path}`, { headers: key === null ? {} : { 'X-API-Key': key } });
    const text = await res.text();
    return { status: res.status, body: (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
  };

  beforeAll(async () => {
    fx = await icebergFixture(tmp.path);
    trades = syntheticTrades({ dates: ['2014-03-10', '2014-03-11'], perDay: 150 });
    await fx.appendTrades(trades);
    await fx.appendQuotes(syntheticQuotes(trades));
    const metrics = createApiMetrics({ processMetrics: false });
    const service = new QueryService({ files: new IcebergDataFileSource(fx.catalog), onPlan: (p) => metrics.observePlan(p) });
    app = await buildApiServer({ service, metrics, apiKey: KEY, logger: silentLogger });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await fx?.close();
    tmp.cleanup();
  });

  it('requires the API key on /v1: 401 missing, 403 wrong', async () => {
    expect((await get('/v1/trades', null)).status).toBe(401);
    expect((await get('/v1/trades', 'nope')).status).toBe(403);
    expect((await get('/v1/trades')).status).toBe(200);
    expect((await get('/health', null)).status).toBe(200);
    expect((await get('/%761/trades', null)).status).toBe(401);
    expect((await get('/v1/nothing', null)).status).toBe(401);
  });

  it('returns trades matching the reference, with exact decimals', async () => {
    const r = await get('/v1/trades?symbol=CBA&side=SELL&start_time=2014-03-10T00:00:00Z&end_time=2014-03-11T00:00:00Z&limit=10000');
    expect(r.status).toBe(200);
    const from = 1394409600000000n;
    const to = from + 86_400_000_000n;
    const expected = trades.filter((t) => t.symbol === 'CBA' && t.side === 'SELL' && t.timestamp >= from && t.timestamp < to);
    const data = r.body.data as { trade_id: string; price: string }[];
    expect(data.length).toBe(expected.length);
    expect(new Set(data.map((d) => d.trade_id))).toEqual(new Set(expected.map((t) => t.trade_id)));
    expect(data.every((d) => /^\d+\.\d{8}$/.test(d.price))).toBe(true);
  });

  it('serves summaries and bars that match the reference', async () => {
    const s = await get('/v1/summary/BHP/2014-03-11');
    expect(s.status).toBe(200);
    const d = localDay('2014-03-11', 'Australia/Sydney');
    const ref = referenceOhlcv(trades.filter((t) => t.symbol === 'BHP' && t.timestamp >= d.from && t.timestamp < d.to))!;
    expect(s.body.data).toMatchObject(ref);
    const b = await get('/v1/bars?symbol=BHP&interval=1d');
    expect((b.body.data as { trading_date: string }[]).map((x) => x.trading_date)).toEqual(['2014-03-10', '2014-03-11']);
    const q = await get('/v1/quotes?symbol=BHP&limit=2');
    expect((q.body.data as unknown[]).length).toBe(2);
    const sy = await get('/v1/symbols');
    expect((sy.body.data as { symbol: string }[]).map((x) => x.symbol)).toEqual(['BHP', 'BTCUSDT', 'CBA']);
    const sn = await get('/v1/snapshots?table=quotes_v2');
    expect((sn.body.data as unknown[]).length).toBe(1);
  });

  it('answers 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['/v1/trades?start_time=2014-03-11&end_time=2014-03-10', 'start_time'],
      ['/v1/trades?start_time=yesterday', 'start_time'],
      ['/v1/trades?side=SIDEWAYS', 'side'],
      ['/v1/trades?limit=-5', 'limit'],
      ['/v1/trades?order=random', 'order'],
      ['/v1/trades?stat_time=2014-03-10', 'stat_time'],
      ['/v1/bars?symbol=BHP&interval=7m', 'interval'],
      ['/v1/bars?interval=1m', 'symbol'],
      ['/v1/summary/BHP/2014-02-30', 'date'],
      ['/v1/snapshots?table=users', 'table'],
      ['/v1/trades?snapshot_id=abc', 'snapshot_id'],
    ];
    for (const [path, parameter] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body.parameter, path).toBe(parameter);
      expect(String(r.body.message)).toContain(parameter);
    }
  });

  it('caps limits', async () => {
    const r = await get('/v1/trades?limit=99999999');
    expect(r.status).toBe(200);
    expect((r.body.meta as { limit: number }).limit).toBe(10_000);
    expect((r.body.data as unknown[]).length).toBe(trades.length);
  });

  it('treats injection strings as literal values in every parameter', async () => {
    const evils = ["' OR 1=1 --", '"; DROP TABLE trades_v2; --', "x') UNION SELECT * FROM read_parquet('/etc/passwd') --"];
    for (const evil of evils) {
      const e = encodeURIComponent(evil);
      for (const p of ['symbol', 'exchange', 'currency']) {
        const r = await get(`/v1/trades?${p}=${e}`);
        expect(r.status).toBe(200);
        expect(r.body.data).toEqual([]);
        const q = await get(`/v1/quotes?${p}=${e}`);
        expect(q.body.data).toEqual([]);
      }
      expect((await get(`/v1/bars?symbol=${e}&interval=1h`)).body.data).toEqual([]);
      expect(((await get(`/v1/summary/${e}/2014-03-10`)).body.data as { trade_count: string }).trade_count).toBe('0');
      for (const p of ['side', 'start_time', 'end_time', 'limit', 'order', 'interval', 'as_of', 'snapshot_id']) {
        const r = await get(`/v1/${p === 'interval' ? 'bars?symbol=BHP&' : 'trades?'}${p}=${e}`);
        expect(r.status, `${p}=${evil}`).toBe(400);
      }
      expect((await get(`/v1/summary/BHP/${e}`)).status).toBe(400);
      expect((await get(`/v1/snapshots?table=${e}`)).status).toBe(400);
    }
    const all = await get('/v1/trades?limit=10000');
    expect((all.body.data as unknown[]).length).toBe(trades.length);
  });

  it('serves health, Prometheus metrics and the OpenAPI document', async () => {
    const h = await get('/health', null);
    expect(h.body).toMatchObject({ status: 'ok', duckdb: 'ok' });
    const m = await get('/metrics', null);
    const text = String(m.body.text);
    expect(text).toMatch(/k2_api_requests_total\{method="GET",route="\/v1\/trades",status="200"\} \d+/);
    // one request without a key, one with the path percent-encoded (/%761/trades routes to /v1/trades)
    expect(text).toMatch(/k2_api_requests_total\{method="GET",route="\/v1\/trades",status="401"\} 2/);
    expect(text).toMatch(/k2_api_request_duration_seconds_bucket/);
    expect(text).toMatch(/k2_query_files_skipped_total\{table="trades_v2"\} [1-9]/);
    expect(text).toMatch(/k2_query_files_scanned_total\{table="trades_v2"\} [1-9]/);
    const o = await get('/openapi.json', null);
    expect(o.body.openapi).toBe('3.0.3');
    expect(Object.keys(o.body.paths as object)).toEqual(
      expect.arrayContaining(['/v1/trades', '/v1/quotes', '/v1/summary/{symbol}/{date}', '/v1/bars', '/v1/symbols', '/v1/snapshots', '/health', '/metrics']),
    );
  });
});

describe('k2 serve (CLI)', () => {
  it('binds to 127.0.0.1 by default and answers /health', async () => {
    const tmp = tempDir('k2-serve-');
    const child = spawnK2(['--data-dir', tmp.path, '--log-level', 'error', 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /listening on (http:\/\/[^\s]+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const h = await fetch(`${url}/health`);
      expect(h.status).toBe(200);
      const t = await fetch(`${url}/v1/trades`);
      expect(await t.json()).toMatchObject({ data: [] });
    } finally {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
      tmp.cleanup();
    }
  }, 120_000);
});
