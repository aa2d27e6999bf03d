/**
 * The query engine behind `k2 query` and `k2 serve`: plans a scan over the Iceberg
 * snapshot (pruning files by partition and bounds), adds the fresh rows from the bus
 * tail, and runs one parameterised DuckDB statement over both.
 */
import type { DuckDBConnection, Json } from '../runtime/duckdb-node-api.js';
import { ValidationError, errorMessage } from '../model/errors.js';
import type { Micros } from '../model/trade.js';
import { microsToIso } from '../model/time.js';
import type { DataFileInfo, DataFileSource, PinnedTable, SnapshotSelector } from './data-file-source.js';
import { runSql, sharedEngine, type DuckDbEngine, type SqlResult } from './duckdb-engine.js';
import { divideDecimalStrings, normalizeDecimal } from './exact-decimal.js';
import { exchangeTimeZone, tradingDayRange } from './exchange-time-zone.js';
import { snapshotSelectorOf, type BarInterval, type BarsQuery, type QuoteQuery, type SummaryQuery, type TradeQuery } from './query-params.js';
import type { PlanReport, QueryResult, ResultRow } from './query-result.js';
import { sourceCtes, type RowPredicate } from './relation-sql.js';
import { exchangesForSymbol, planScan } from './scan-planner.js';
import { freshSkipReason, readFreshRows, type TailRecords, type TailSource } from './tail-source.js';
import { loadTailTable } from './tail-table.js';
import type { QueryTable } from './table-schema.js';

const ISO = `'%Y-%m-%dT%H:%M:%S.%fZ'`;
const iso = (col: string): string => `strftime(${col}, ${ISO})`;

/** Allow-listed SQL for each bar interval. */
const INTERVAL_SQL: Record<BarInterval, string> = {
  '1m': "INTERVAL '1 minute'",
  '5m': "INTERVAL '5 minutes'",
  '15m': "INTERVAL '15 minutes'",
  '1h': "INTERVAL '1 hour'",
  '1d': "INTERVAL '1 day'",
};

/** Deterministic order of trades within the same microsecond, for open and close. */
const TRADE_ORDER_KEY = `("timestamp", coalesce(source_sequence, -1), trade_id)`;

const TRADE_SELECT = [
  'message_id',
  'trade_id',
  'symbol',
  'exchange',
  'asset_class',
  `${iso('"timestamp"')} AS "timestamp"`,
  'price',
  'quantity',
  'currency',
  'side',
  'trade_conditions',
  'source_sequence',
  `${iso('ingestion_timestamp')} AS ingestion_timestamp`,
  'platform_sequence',
  'vendor_data',
].join(', ');

const QUOTE_SELECT = [
  'message_id',
  'quote_id',
  'symbol',
  'exchange',
  'asset_class',
  `${iso('"timestamp"')} AS "timestamp"`,
  'bid_price',
  'bid_quantity',
  'ask_price',
  'ask_quantity',
  'currency',
  'source_sequence',
  `${iso('ingestion_timestamp')} AS ingestion_timestamp`,
  'platform_sequence',
  'vendor_data',
].join(', ');

const OHLCV_SELECT = [
  `arg_min(price, ${TRADE_ORDER_KEY}) AS open`,
  'max(price) AS high',
  'min(price) AS low',
  `arg_max(price, ${TRADE_ORDER_KEY}) AS close`,
  'sum(CAST(quantity AS DECIMAL(38,8))) AS volume',
  'count(*) AS trade_count',
  'sum(CAST(price AS DECIMAL(38,8)) * CAST(quantity AS DECIMAL(38,8))) AS notional',
].join(', ');

export interface QueryServiceOptions {
  files: DataFileSource;
  /** Where fresh rows come from; null or absent means committed rows only. */
  tail?: TailSource | null;
  engine?: DuckDbEngine;
  /** Called with every scan plan, e.g. to count files in metrics. */
  onPlan?: (plan: PlanReport) => void;
}

interface PreparedScan {
  pinned: PinnedTable;
  allFiles: DataFileInfo[];
  tail: TailRecords | null;
  freshUnavailable: string | null;
}

/** vendor_data reads as a list of {key, value}; present it as an object. */
function vendorObject(v: Json): Json {
  if (!Array.isArray(v)) return v;
  const out: Record<string, Json> = {};
  for (const e of v) {
    if (e !== null && typeof e === 'object' && !Array.isArray(e) && typeof e.key === 'string') out[e.key] = e.value ?? null;
  }
  return out;
}

function withVendorObjects(rows: ResultRow[]): ResultRow[] {
  for (const r of rows) if ('vendor_data' in r) r.vendor_data = vendorObject(r.vendor_data!);
  return rows;
}

/** Adds exact VWAP and normalises notional to scale 8 where that is exact. */
function withVwap(rows: ResultRow[]): ResultRow[] {
  return rows.map((r) => {
    const volume = typeof r.volume === 'string' ? r.volume : null;
    const notional = typeof r.notional === 'string' ? normalizeDecimal(r.notional) : null;
    const vwap = volume !== null && notional !== null ? divideDecimalStrings(notional, volume, 8) : null;
    const { notional: _n, ...rest } = r;
    return { ...rest, vwap, notional };
  });
}

export class QueryService {
  private readonly filesCache = new Map<string, DataFileInfo[]>();

  constructor(private readonly opts: QueryServiceOptions) {}

  private async engine(): Promise<DuckDbEngine> {
    return this.opts.engine ?? sharedEngine();
  }

  /** Live data files of a pinned table, cached by table state (metadata file + snapshot). */
  private async dataFiles(pinned: PinnedTable): Promise<DataFileInfo[]> {
    if (pinned.snapshot === null) return [];
    const key = `${pinned.table}\u0000${pinned.stateKey}\u0000${pinned.snapshot.snapshotId}`;
    let files = this.filesCache.get(key);
    if (files === undefined) {
      files = await pinned.dataFiles();
      if (this.filesCache.size >= 64) this.filesCache.delete(this.filesCache.keys().next().value!);
      this.filesCache.set(key, files);
    }
    return files;
  }

  /** `freshSkip`: why this query reads no fresh rows (freshSkipReason), or null to read them. */
  private async prepare(table: QueryTable, selector: SnapshotSelector, freshSkip: string | null): Promise<PreparedScan> {
    const pinned = await this.opts.files.pin(table, selector);
    const allFiles = await this.dataFiles(pinned);
    const { tail, freshUnavailable } = await readFreshRows(this.opts.tail, table, pinned.snapshot?.summary, freshSkip);
    return { pinned, allFiles, tail, freshUnavailable };
  }

  /** Plans the scan for a predicate and runs `body` (SQL over the `src` CTE); `report` sends the plan to onPlan. */
  private async execute(scan: PreparedScan, pred: RowPredicate, body: string, report = true): Promise<{ result: SqlResult; plan: PlanReport }> {
    const plan = planScan(scan.allFiles, pred);
    const planReport: PlanReport = {
      table: scan.pinned.table,
      snapshotId: scan.pinned.snapshot === null ? null : scan.pinned.snapshot.snapshotId.toString(),
      filesTotal: scan.allFiles.length,
      filesScanned: plan.filesScanned,
      filesSkipped: plan.filesSkipped,
      skippedByPartition: plan.skippedBy.partition,
      skippedByBounds: plan.skippedBy.bounds,
      recordsScanned: plan.recordsScanned,
      freshRecords: scan.tail?.records.length ?? 0,
      freshUnavailable: scan.freshUnavailable,
    };
    if (report) this.opts.onPlan?.(planReport);
    const engine = await this.engine();
    const result = await engine.withConnection(async (conn: DuckDBConnection) => {
      const freshTable = scan.tail !== null && scan.tail.records.length > 0 ? await loadTailTable(conn, scan.tail) : null;
      const ctes = sourceCtes(
        scan.pinned.table,
        plan.files.map((f) => f.path),
        freshTable,
        pred,
      );
      return runSql(conn, `WITH ${ctes.sql}\n${body}`, ctes.params, ctes.types);
    });
    return { result, plan: planReport };
  }

  async trades(q: TradeQuery): Promise<QueryResult> {
    const scan = await this.prepare('trades_v2', snapshotSelectorOf(q), freshSkipReason(q));
    const pred: RowPredicate = { symbols: q.symbol, exchange: q.exchange, side: q.side, currency: q.currency, fromMicros: q.from, toMicros: q.to };
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const body = `SELECT ${TRADE_SELECT} FROM src ORDER BY src."timestamp" ${dir}, src.symbol ${dir}, src.exchange ${dir}, src.trade_id ${dir} LIMIT ${Number(q.limit)}`;
    const { result, plan } = await this.execute(scan, pred, body);
    return { columns: result.columns, rows: withVendorObjects(result.rows), plans: [plan] };
  }

  async quotes(q: QuoteQuery): Promise<QueryResult> {
    const scan = await this.prepare('quotes_v2', snapshotSelectorOf(q), freshSkipReason(q));
    const pred: RowPredicate = { symbols: q.symbol, exchange: q.exchange, currency: q.currency, fromMicros: q.from, toMicros: q.to };
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const body = `SELECT ${QUOTE_SELECT} FROM src ORDER BY src."timestamp" ${dir}, src.symbol ${dir}, src.exchange ${dir}, src.message_id ${dir} LIMIT ${Number(q.limit)}`;
    const { result, plan } = await this.execute(scan, pred, body);
    return { columns: result.columns, rows: withVendorObjects(result.rows), plans: [plan] };
  }

  /**
   * The exchange a symbol trades on: from the files' bounds and the fresh rows when
   * they decide it, else from the data. Asks for the exchange when it is ambiguous.
   */
  private async resolveExchange(scan: PreparedScan, symbol: string, given: string | undefined): Promise<string | null> {
    if (given !== undefined) return given;
    const found = exchangesForSymbol(scan.allFiles, symbol);
    if (scan.tail?.table === 'trades_v2') for (const t of scan.tail.records) if (t.symbol === symbol) found.add(t.exchange);
    if (found.size > 1 || found.has(null)) {
      const { result } = await this.execute(scan, { symbols: [symbol] }, 'SELECT DISTINCT exchange FROM src ORDER BY exchange', false);
      found.clear();
      for (const r of result.rows) found.add(String(r.exchange));
    }
    if (found.size > 1) {
      throw new ValidationError(`symbol ${symbol} trades on several exchanges (${[...found].sort().join(', ')}); give the exchange`, { field: 'exchange' });
    }
    return found.size === 1 ? [...found][0]! : null;
  }

  async summary(q: SummaryQuery): Promise<QueryResult> {
    const scan = await this.prepare('trades_v2', snapshotSelectorOf(q), freshSkipReason(q));
    const exchange = await this.resolveExchange(scan, q.symbol, q.exchange);
    const timeZone = exchangeTimeZone(exchange);
    const day = tradingDayRange(q.date, timeZone);
    const pred: RowPredicate = { symbols: [q.symbol], exchange: exchange ?? undefined, fromMicros: day.fromMicros, toMicros: day.toMicros };
    const body = `SELECT ${OHLCV_SELECT}, ${iso('min("timestamp")')} AS first_trade, ${iso('max("timestamp")')} AS last_trade FROM src`;
    const { result, plan } = await this.execute(scan, pred, body);
    const r = withVwap(result.rows)[0]!;
    const row: ResultRow = {
      symbol: q.symbol,
      exchange,
      date: q.date,
      time_zone: timeZone,
      session_start: microsToIso(day.fromMicros),
      session_end: microsToIso(day.toMicros),
      open: r.open ?? null,
      high: r.high ?? null,
      low: r.low ?? null,
      close: r.close ?? null,
      volume: r.volume ?? '0.00000000',
      trade_count: r.trade_count ?? '0',
      vwap: r.vwap ?? null,
      notional: r.notional ?? '0.00000000',
      first_trade: r.first_trade ?? null,
      last_trade: r.last_trade ?? null,
    };
    return { columns: Object.keys(row), rows: [row], plans: [plan] };
  }

  async bars(q: BarsQuery): Promise<QueryResult> {
    const scan = await this.prepare('trades_v2', snapshotSelectorOf(q), freshSkipReason(q));
    const exchange = await this.resolveExchange(scan, q.symbol, q.exchange);
    const timeZone = exchangeTimeZone(exchange);
    const pred: RowPredicate = { symbols: [q.symbol], exchange: exchange ?? undefined, currency: q.currency, fromMicros: q.from, toMicros: q.to };
    // The zone comes from the allow-list in exchange-time-zone.ts, never from user text.
    const bucket = `time_bucket(${INTERVAL_SQL[q.interval]}, "timestamp", '${timeZone.replace(/'/g, "''")}')`;
    const tradingDate = q.interval === '1d' ? `, strftime(timezone('${timeZone.replace(/'/g, "''")}', bucket), '%Y-%m-%d') AS trading_date` : '';
    const body =
      `SELECT ${iso('bucket')} AS bucket_start${tradingDate}, open, high, low, close, volume, trade_count, notional FROM (` +
      `SELECT ${bucket} AS bucket, ${OHLCV_SELECT} FROM src GROUP BY 1) ORDER BY bucket LIMIT ${Number(q.limit)}`;
    const { result, plan } = await this.execute(scan, pred, body);
    const rows = withVwap(result.rows).map((r) => ({ symbol: q.symbol, exchange, ...r }));
    const columns = rows.length > 0 ? Object.keys(rows[0]!) : ['symbol', 'exchange', 'bucket_start', ...(q.interval === '1d' ? ['trading_date'] : []), 'open', 'high', 'low', 'close', 'volume', 'trade_count', 'vwap', 'notional'];
    return { columns, rows, plans: [plan] };
  }

  /** Every (symbol, exchange) with trades, with counts and first/last trade times. */
  async symbols(opts: { asOf?: Micros; snapshot?: bigint; fresh?: boolean } = {}): Promise<QueryResult> {
    const scan = await this.prepare('trades_v2', snapshotSelectorOf(opts), freshSkipReason(opts));
    const body =
      `SELECT symbol, exchange, any_value(asset_class) AS asset_class, any_value(currency) AS currency, count(*) AS trade_count, ` +
      `${iso('min("timestamp")')} AS first_trade, ${iso('max("timestamp")')} AS last_trade FROM src GROUP BY symbol, exchange ORDER BY symbol, exchange`;
    const { result, plan } = await this.execute(scan, {}, body);
    return { columns: result.columns, rows: result.rows, plans: [plan] };
  }

  /** The table's snapshots, oldest first. */
  async snapshots(table: QueryTable): Promise<QueryResult> {
    const { snapshots, currentSnapshotId } = await this.opts.files.snapshots(table);
    const rows: ResultRow[] = snapshots.map((s) => ({
      snapshot_id: s.snapshotId.toString(),
      parent_id: s.parentSnapshotId === null ? null : s.parentSnapshotId.toString(),
      committed_at: new Date(s.timestampMs).toISOString(),
      operation: s.summary.operation ?? null,
      added_records: s.summary['added-records'] ?? null,
      total_records: s.summary['total-records'] ?? null,
      added_files: s.summary['added-data-files'] ?? null,
      total_files: s.summary['total-data-files'] ?? null,
      current: s.snapshotId === currentSnapshotId,
      offsets: s.summary['k2.offsets'] ?? null,
    }));
    const columns = ['snapshot_id', 'parent_id', 'committed_at', 'operation', 'added_records', 'total_records', 'added_files', 'total_files', 'current', 'offsets'];
    return { columns, rows, plans: [] };
  }

  /** Throws when the catalog or DuckDB does not answer. */
  async checkHealth(): Promise<{ catalog: string; duckdb: string }> {
    await this.opts.files.checkHealth();
    const engine = await this.engine();
    const r = await engine.withConnection((c) => runSql(c, 'SELECT 42 AS answer'));
    if (r.rows[0]?.answer !== 42) throw new Error('DuckDB did not answer');
    return { catalog: this.opts.files.describe(), duckdb: 'ok' };
  }

  async close(): Promise<void> {
    await this.opts.tail?.close();
  }
}
