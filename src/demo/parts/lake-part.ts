/**
 * The lake part: the exactly-once Iceberg consumer in-process (bus -> trades_v2 /
 * quotes_v2, committing about every second), commit figures for the health panel,
 * and 1-minute bars through the query service (DuckDB over the committed files).
 */
import type { BusEndpoints } from '../../bus/index.js';
import type { GlobalOptions } from '../../config/global-options.js';
import { IcebergConsumer } from '../../consume/iceberg-consumer.js';
import type { Logger } from '../../log/logger.js';
import { parseScaled } from '../../model/decimal.js';
import { isoToMicros, nowMicros } from '../../model/time.js';
import type { Micros } from '../../model/trade.js';
import { openConfiguredCatalog } from '../../iceberg/catalog/open-catalog.js';
import { openQueryService, type OpenedQueryService } from '../../query/open-query-service.js';
import { barsQuerySchema, parseQuery } from '../../query/query-params.js';
import { join } from 'node:path';
import type { Bar, Freshness } from '../types.js';
import type { LakePart, LakeStats } from '../parts.js';

export interface LakePartOptions {
  globals: GlobalOptions;
  endpoints: BusEndpoints;
  /** --catalog: "filesystem" (default) or postgres://... */
  catalog: string | undefined;
  logger: Logger;
  /** How far back the Query pane's bars reach. */
  barsWindowMinutes?: number;
}

const FRESHNESS_SAMPLES = 200;
const CATCH_UP_ON_STOP_MS = 10_000;

export async function startLakePart(opts: LakePartOptions): Promise<LakePart> {
  const catalog = openConfiguredCatalog(opts.catalog, join(opts.globals.dataDir, 'warehouse'));
  const rowsAtStart = (await currentRows(opts, 'trades_v2')) + (await currentRows(opts, 'quotes_v2'));
  let committedRows = 0n;
  let lastCommitAt: Micros | null = null;
  const freshness: number[] = [];
  let lastFreshMs = 0;
  // The Iceberg consumer in this process, with a 1 s topic refresh so the first commit comes quickly.
  const consumer = await IcebergConsumer.start({
    groupId: 'k2-iceberg',
    topicRefreshMs: 1000,
    endpoints: opts.endpoints,
    catalog,
    dataDir: opts.globals.dataDir,
    logger: opts.logger.child({ component: 'consume' }),
    maxDelayMs: 1000,
    onCommit: (e) => {
      const now = nowMicros();
      lastCommitAt = now;
      committedRows += BigInt(e.rows);
      if (e.oldestIngestionMicros !== null) {
        // the oldest row of the commit waited longest: receipt -> queryable in Iceberg
        lastFreshMs = Number(now - e.oldestIngestionMicros) / 1000;
        freshness.push(lastFreshMs);
        if (freshness.length > FRESHNESS_SAMPLES) freshness.shift();
      }
    },
  });
  consumer.watchTopics();
  let query: OpenedQueryService | null = null;
  const service = (): OpenedQueryService =>
    (query ??= openQueryService({ globals: opts.globals, logger: opts.logger, catalog: opts.catalog, fresh: false }));

  return {
    name: 'in-process Iceberg consumer',
    tables: ['market_data.trades_v2', 'market_data.quotes_v2'],
    stats: async (): Promise<LakeStats> => ({
      consumed: consumer.getSummary().records_consumed,
      rows: rowsAtStart + committedRows,
      committedThisRun: committedRows,
      lastCommitAt,
      freshness: freshness.length === 0 ? null : summarize(freshness, lastFreshMs),
    }),
    bars: async (symbol: string) => {
      const from = new Date(Date.now() - (opts.barsWindowMinutes ?? 15) * 60_000).toISOString();
      const q = parseQuery(barsQuerySchema, { symbol, interval: '1m', from, exchange: 'BINANCE', fresh: false });
      const result = await service().service.bars(q);
      const bars: Bar[] = result.rows.map((r) => ({
        start: isoToMicros(String(r.bucket_start)),
        open: parseScaled(String(r.open)),
        high: parseScaled(String(r.high)),
        low: parseScaled(String(r.low)),
        close: parseScaled(String(r.close)),
        volume: parseScaled(String(r.volume)),
        vwap: parseScaled(String(r.vwap)),
        trades: Number(r.trade_count),
      }));
      return { bars, source: 'Iceberg market_data.trades_v2' };
    },
    stop: async () => {
      // Let the consumer read what the stream published last, then commit and leave.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        consumer.runUntilCaughtUp().catch((err: unknown) => opts.logger.warn('consumer catch-up failed', { error: String(err) })),
        new Promise((r) => (timer = setTimeout(r, CATCH_UP_ON_STOP_MS))),
      ]);
      clearTimeout(timer);
      await consumer.stop();
      await query?.close();
    },
  };
}

/** Total rows of a table's current snapshot (0 when it does not exist yet). */
async function currentRows(opts: LakePartOptions, table: 'trades_v2' | 'quotes_v2'): Promise<bigint> {
  const q = openQueryService({ globals: opts.globals, logger: opts.logger, catalog: opts.catalog, fresh: false });
  try {
    const { rows } = await q.service.snapshots(table);
    const current = rows.find((r) => r.current === true);
    return current?.total_records !== undefined && current.total_records !== null ? BigInt(String(current.total_records)) : 0n;
  } catch {
    return 0n;
  } finally {
    await q.close();
  }
}

function summarize(samples: readonly number[], last: number): Freshness {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { lastMs: last, p50Ms: at(0.5), p99Ms: at(0.99), samples: sorted.length };
}
