/**
 * Query engine latency over a synthetic trades table written through k2's Iceberg
 * writer (10M rows across many files, days and symbols; --quick: 72k rows):
 * - point query (one symbol, one hour) p50/p99 through QueryService (goal p99 <= 50 ms);
 * - 1-minute bars for one symbol-day (goal <= 100 ms);
 * - the floor, measured in the same run: the same SQL on raw DuckDB over one
 *   pre-sorted Parquet file of the same rows (goal ratio <= 1.3);
 * - freshness: produce -> visible to a query through the bus tail (goal p99 <= 1 s).
 * One warm DuckDB instance per process; manifests cached by path.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { FilesystemCatalog } from '../src/iceberg/catalog/filesystem-catalog.js';
import { TRADES_TABLE } from '../src/iceberg/table-definitions.js';
import { IcebergTableWriter } from '../src/iceberg/table-writer.js';
import type { TradeV2 } from '../src/model/trade.js';
import { IcebergDataFileSource } from '../src/query/iceberg-data-file-source.js';
import { parseQuery, barsQuerySchema, tradeQuerySchema } from '../src/query/query-params.js';
import { QueryService } from '../src/query/query-service.js';
import { sourceCtes } from '../src/query/relation-sql.js';
import { SERVE_REUSE_MS } from '../src/cli/commands/serve.js';
import { RecordProducer, startBus } from '../src/bus/index.js';
import { silentLogger } from '../src/log/logger.js';
import { BusTailSource } from '../src/query/bus-tail-source.js';
import { latencyResult, percentile, type BenchResult, type BenchSuite } from './lib/result.js';

const DAY_US = 86_400_000_000n;
const HOUR_US = 3_600_000_000n;
const START_DAY = 19_000n; // 2022-01-08

interface Sym {
  symbol: string;
  exchange: string;
  currency: string;
  crypto: boolean;
}

function symbols(n: number): Sym[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? { symbol: `EQ${String(i).padStart(3, '0')}`, exchange: 'ASX', currency: 'AUD', crypto: false }
      : { symbol: `CR${String(i).padStart(3, '0')}USDT`, exchange: 'BINANCE', currency: 'USDT', crypto: true },
  );
}

/** One day of one exchange's trades, `perSymbolDay` per symbol, in `chunks` time slices. */
function dayTrades(day: bigint, syms: Sym[], perSymbolDay: number, seq: { n: number }): TradeV2[] {
  const out: TradeV2[] = [];
  for (const s of syms) {
    // ASX session 23:00-05:00 UTC (10:00-16:00 Sydney), crypto the whole day
    const start = day * DAY_US + (s.crypto ? 0n : 23n * HOUR_US - DAY_US);
    const span = s.crypto ? DAY_US : 6n * HOUR_US;
    const step = span / BigInt(perSymbolDay);
    for (let i = 0; i < perSymbolDay; i++) {
      const n = ++seq.n;
      const ts = start + BigInt(i) * step + BigInt(n % 997);
      out.push({
        message_id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
        trade_id: `t${n}`,
        symbol: s.symbol,
        exchange: s.exchange,
        asset_class: s.crypto ? 'crypto' : 'equities',
        timestamp: ts,
        price: 100_00000000n + BigInt((n * 7919) % 5_000_000_000),
        quantity: BigInt(1 + (n % 1000)) * 1_000_000n,
        currency: s.currency,
        side: n % 2 === 0 ? 'BUY' : 'SELL',
        trade_conditions: [],
        source_sequence: BigInt(n),
        ingestion_timestamp: ts + 1000n,
        platform_sequence: null,
        vendor_data: null,
      });
    }
  }
  return out;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const suite: BenchSuite = async ({ quick, workDir, log }) => {
  const nSymbols = quick ? 6 : 20;
  const nDays = quick ? 3 : 30;
  const perSymbolDay = quick ? 4_000 : 16_667;
  const chunksPerDay = quick ? 2 : 4;
  const syms = symbols(nSymbols);
  const totalRows = nSymbols * nDays * perSymbolDay;
  log(`query: writing ${totalRows.toLocaleString('en-US')} trades (${nSymbols} symbols x ${nDays} days) through the Iceberg writer`);

  const catalog = new FilesystemCatalog(join(workDir, 'warehouse'));
  const writer = await IcebergTableWriter.open(catalog, TRADES_TABLE);
  const seq = { n: 0 };
  const tWrite = performance.now();
  for (let d = 0; d < nDays; d++) {
    const day = START_DAY + BigInt(d);
    const rows = dayTrades(day, syms, perSymbolDay, seq);
    // Several commits per day, each a time slice: many files per partition, as streaming commits make.
    rows.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    const size = Math.ceil(rows.length / chunksPerDay);
    for (let c = 0; c < chunksPerDay; c++) await writer.append(rows.slice(c * size, (c + 1) * size));
  }
  await writer.close();
  log(`query: wrote in ${((performance.now() - tWrite) / 1000).toFixed(1)} s`);

  // As `k2 serve` runs it: table metadata reused for up to 250 ms between requests.
  const files = new IcebergDataFileSource(catalog, { metadataMaxAgeMs: SERVE_REUSE_MS });
  const service = new QueryService({ files });
  // As a one-shot `k2 query` runs it: the metadata is loaded and parsed on every query.
  const strictFiles = new IcebergDataFileSource(catalog);
  const strict = new QueryService({ files: strictFiles });
  const pinned = await files.pin('trades_v2', { kind: 'current' });
  const allFiles = await pinned.dataFiles();
  log(`query: ${allFiles.length} data files, ${allFiles.reduce((a, f) => a + f.recordCount, 0).toLocaleString('en-US')} rows`);

  // The floor: one pre-sorted Parquet file of the same rows, queried by raw DuckDB.
  const floorFile = join(workDir, 'floor.parquet');
  const raw = await DuckDBInstance.create(':memory:');
  const conn: DuckDBConnection = await raw.connect();
  await conn.run("SET TimeZone = 'UTC'");
  const list = allFiles.map((f) => `'${f.path.replace(/'/g, "''")}'`).join(', ');
  await conn.run(`COPY (SELECT * FROM read_parquet([${list}], hive_partitioning = false) ORDER BY symbol, "timestamp") TO '${floorFile}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);

  const iterations = quick ? 25 : 200;
  const pick = (i: number): { sym: Sym; day: bigint; hour: bigint } => {
    const sym = syms[(i * 7) % syms.length]!;
    const day = START_DAY + BigInt((i * 13) % nDays);
    const hour = sym.crypto ? BigInt((i * 5) % 24) : BigInt(23 + ((i * 5) % 6)) % 24n;
    return { sym, day, hour };
  };
  const hourRange = (p: { sym: Sym; day: bigint; hour: bigint }): { from: bigint; to: bigint } => {
    const base = p.day * DAY_US + (p.sym.crypto || p.hour < 12n ? 0n : -DAY_US);
    const from = base + p.hour * HOUR_US;
    return { from, to: from + HOUR_US };
  };
  const iso = (us: bigint): string => new Date(Number(us / 1000n)).toISOString();

  // Same SQL text as the service (sourceCtes + body), over the single floor file.
  const floorSql = async (pred: Parameters<typeof sourceCtes>[3], body: string): Promise<void> => {
    const ctes = sourceCtes('trades_v2', [floorFile], null, pred);
    const r = await conn.runAndReadAll(`WITH ${ctes.sql}\n${body}`, ctes.params, ctes.types);
    r.getRowObjectsJson();
  };
  const POINT_BODY = (limit: number) =>
    `SELECT message_id, trade_id, symbol, exchange, asset_class, strftime("timestamp", '%Y-%m-%dT%H:%M:%S.%fZ') AS "timestamp", price, quantity, currency, side, trade_conditions, source_sequence, strftime(ingestion_timestamp, '%Y-%m-%dT%H:%M:%S.%fZ') AS ingestion_timestamp, platform_sequence, vendor_data FROM src ORDER BY src."timestamp" ASC, src.symbol ASC, src.exchange ASC, src.trade_id ASC LIMIT ${limit}`;

  // Warm both paths once.
  for (let i = 0; i < 3; i++) {
    const p = pick(i);
    const r = hourRange(p);
    await service.trades(parseQuery(tradeQuerySchema, { symbol: p.sym.symbol, from: iso(r.from), to: iso(r.to), limit: '10000', fresh: false }));
    await floorSql({ symbols: [p.sym.symbol], fromMicros: r.from, toMicros: r.to }, POINT_BODY(10000));
  }

  const ours: number[] = [];
  const oursStrict: number[] = [];
  const floor: number[] = [];
  let rowsSeen = 0;
  for (let i = 0; i < iterations; i++) {
    const p = pick(i);
    const r = hourRange(p);
    ours.push(
      await timeIt(async () => {
        const res = await service.trades(parseQuery(tradeQuerySchema, { symbol: p.sym.symbol, from: iso(r.from), to: iso(r.to), limit: '10000', fresh: false }));
        rowsSeen += res.rows.length;
      }),
    );
    floor.push(await timeIt(() => floorSql({ symbols: [p.sym.symbol], fromMicros: r.from, toMicros: r.to }, POINT_BODY(10000))));
    oursStrict.push(
      await timeIt(() => strict.trades(parseQuery(tradeQuerySchema, { symbol: p.sym.symbol, from: iso(r.from), to: iso(r.to), limit: '10000', fresh: false }))),
    );
  }
  ours.sort((a, b) => a - b);
  oursStrict.sort((a, b) => a - b);
  floor.sort((a, b) => a - b);
  log(`query: point queries returned ${(rowsSeen / iterations).toFixed(0)} rows on average`);

  // 1-minute bars for one symbol-day.
  const barTimes: number[] = [];
  const barFloor: number[] = [];
  const barIterations = quick ? 6 : 30;
  for (let i = 0; i < barIterations + 2; i++) {
    const sym = syms[(i * 3) % syms.length]!;
    const day = START_DAY + BigInt((i * 11) % nDays);
    const from = day * DAY_US;
    const q = parseQuery(barsQuerySchema, { symbol: sym.symbol, exchange: sym.exchange, interval: '1m', from: iso(from), to: iso(from + DAY_US), fresh: false });
    const ourMs = await timeIt(() => service.bars(q));
    const zone = sym.exchange === 'ASX' ? 'Australia/Sydney' : 'UTC';
    const body =
      `SELECT strftime(bucket, '%Y-%m-%dT%H:%M:%S.%fZ') AS bucket_start, open, high, low, close, volume, trade_count, notional FROM (` +
      `SELECT time_bucket(INTERVAL '1 minute', "timestamp", '${zone}') AS bucket, arg_min(price, ("timestamp", coalesce(source_sequence, -1), trade_id)) AS open, max(price) AS high, min(price) AS low, arg_max(price, ("timestamp", coalesce(source_sequence, -1), trade_id)) AS close, sum(CAST(quantity AS DECIMAL(38,8))) AS volume, count(*) AS trade_count, sum(CAST(price AS DECIMAL(38,8)) * CAST(quantity AS DECIMAL(38,8))) AS notional FROM src GROUP BY 1) ORDER BY bucket LIMIT 10000`;
    const floorMs = await timeIt(() => floorSql({ symbols: [sym.symbol], exchange: sym.exchange, fromMicros: from, toMicros: from + DAY_US }, body));
    if (i >= 2) {
      barTimes.push(ourMs);
      barFloor.push(floorMs);
    }
  }
  barTimes.sort((a, b) => a - b);
  barFloor.sort((a, b) => a - b);
  conn.closeSync();
  raw.closeSync();
  await files.close();
  await strictFiles.close();

  const p50 = percentile(ours, 50);
  const p99 = percentile(ours, 99);
  const f50 = percentile(floor, 50);
  const f99 = percentile(floor, 99);
  log(`query: point p50 ${p50.toFixed(2)} ms (floor ${f50.toFixed(2)}), p99 ${p99.toFixed(2)} ms (floor ${f99.toFixed(2)}); metadata per query: p50 ${percentile(oursStrict, 50).toFixed(2)} p99 ${percentile(oursStrict, 99).toFixed(2)} ms`);
  const results: BenchResult[] = [
    latencyResult(`query: point query p50 (${(totalRows / 1e6).toFixed(1)}M rows, ${allFiles.length} files, serve)`, p50, null, f50, 1.3),
    latencyResult('query: point query p99 (serve)', p99, 50, f99, 1.3),
    latencyResult('query: point query p99 (metadata parsed per query)', percentile(oursStrict, 99), null, f99, null),
    latencyResult('query: 1m bars, one symbol-day (p50)', percentile(barTimes, 50), 100, percentile(barFloor, 50), 1.3),
  ];
  results.push(await freshVisibility(join(workDir, 'fresh'), quick ? 5 : 30, log));
  return results;
};

/**
 * Freshness: a trade produced to the bus (embedded broker, not yet in Iceberg) until
 * a query returns it, through the snapshot's k2.offsets and the bus tail. Goal p99 <= 1 s.
 */
async function freshVisibility(dataDir: string, iterations: number, log: (l: string) => void): Promise<BenchResult> {
  const topic = 'market.crypto.trades.binance';
  const catalog = new FilesystemCatalog(join(dataDir, 'warehouse'));
  const writer = await IcebergTableWriter.open(catalog, TRADES_TABLE);
  const seq = { n: 0 };
  const rows = dayTrades(START_DAY, [{ symbol: 'BTCUSDT', exchange: 'BINANCE', currency: 'USDT', crypto: true }], 1000 + iterations, seq);
  await writer.append(rows.slice(0, 1000), { properties: { 'k2.offsets': JSON.stringify({ [topic]: { '0': 0 } }) } });
  await writer.close();
  const bus = await startBus({ globals: { dataDir, brokers: null, logLevel: 'silent', json: false }, logger: silentLogger });
  const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
  const files = new IcebergDataFileSource(catalog);
  const service = new QueryService({ files, tail: new BusTailSource({ endpoints: bus.endpoints, logger: silentLogger }) });
  const times: number[] = [];
  try {
    for (let i = 0; i < iterations; i++) {
      const t = rows[1000 + i]!;
      const from = new Date(Number(t.timestamp / 1000n) - 1000).toISOString();
      const t0 = performance.now();
      await producer.send(topic, 'trades', [t]);
      for (;;) {
        const r = await service.trades(parseQuery(tradeQuerySchema, { symbol: 'BTCUSDT', from, limit: '100' }));
        if (r.rows.some((x) => x.trade_id === t.trade_id)) break;
      }
      times.push(performance.now() - t0);
    }
  } finally {
    await producer.close();
    await bus.close();
    await files.close();
  }
  times.sort((a, b) => a - b);
  log(`query: fresh visibility p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms`);
  return latencyResult('query: fresh trade visible to a query (p99)', percentile(times, 99), 1000);
}

export default suite;
