/**
 * `k2 query`: trades, quotes, summaries, bars, symbols, snapshots and read-only SQL
 * over the Iceberg tables, plus fresh rows from the bus when --brokers is given.
 *
 *   k2 query [--symbol BHP[,CBA]] [--side BUY] [--exchange ASX] [--currency AUD]
 *            [--from ISO] [--to ISO] [--limit 100] [--order asc|desc]
 *   k2 query quotes [same flags, no --side]
 *   k2 query summary --symbol BHP --date 2014-03-10 [--exchange ASX]
 *   k2 query bars --symbol BTCUSDT --interval 1m|5m|15m|1h|1d [--from] [--to]
 *   k2 query symbols | k2 query snapshots [--table trades_v2] | k2 query sql "SELECT ..."
 *
 * Every query takes --as-of <ISO> / --snapshot <id> (time travel), --no-fresh,
 * --catalog, --registry, and the output flags --json / --csv / --parquet <file>.
 */
import { Command, Option } from 'commander';
import type { z } from 'zod';
import { ConfigError, ValidationError } from '../../model/errors.js';
import { openQueryService, type OpenedQueryService } from '../../query/open-query-service.js';
import { writeResultParquet } from '../../query/parquet-export.js';
import {
  BAR_INTERVALS,
  barsQuerySchema,
  parseQuery,
  quoteQuerySchema,
  snapshotSelectorOf,
  summaryQuerySchema,
  tradeQuerySchema,
  type ParamNames,
} from '../../query/query-params.js';
import type { PlanReport, QueryResult, ResultRow } from '../../query/query-result.js';
import { runReadOnlySql } from '../../query/read-only-sql.js';
import { freshSkipReason } from '../../query/tail-source.js';
import { QUERY_TABLES, isQueryTable } from '../../query/table-schema.js';
import { commandContext } from '../context.js';
import { addFreshTimeoutOption } from '../shared-options.js';
import { formatRows, type Cell, type Row } from '../output.js';

/** CLI flag names for error messages. */
const NAMES: ParamNames = {
  symbol: '--symbol',
  side: '--side',
  exchange: '--exchange',
  currency: '--currency',
  from: '--from',
  to: '--to',
  limit: '--limit',
  order: '--order',
  asOf: '--as-of',
  snapshot: '--snapshot',
  interval: '--interval',
  date: '--date',
};

interface CommonFlags {
  asOf?: string;
  snapshot?: string;
  fresh: boolean;
  freshTimeout: number;
  freshMaxRecords: number;
  catalog?: string;
  registry?: string;
  json?: boolean;
  csv?: boolean;
  parquet?: string;
}

function addCommon(cmd: Command): Command {
  return addFreshTimeoutOption(
    cmd
      .option('--as-of <iso>', 'time travel: read the table as it was at this time')
      .option('--snapshot <id>', 'time travel: read this snapshot id (see k2 query snapshots)')
      .option('--no-fresh', 'read committed Iceberg rows only, not the uncommitted bus tail'),
  )
    .option('--catalog <spec>', 'Iceberg catalog: "filesystem" (default) or postgres://... (env K2_CATALOG)')
    .option('--registry <url>', 'schema registry URL for fresh rows (env K2_REGISTRY_URL)')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option('--parquet <file>', 'write the result to a Parquet file');
}

function addRowFilters(cmd: Command, withSide: boolean): Command {
  cmd
    .option('--symbol <list>', 'symbol, or a comma-separated list')
    .option('--exchange <name>', 'exchange, e.g. ASX or BINANCE')
    .option('--currency <code>', 'currency, e.g. AUD');
  if (withSide) cmd.option('--side <side>', 'BUY, SELL, SELL_SHORT or UNKNOWN');
  return cmd
    .option('--from <iso>', 'start time, inclusive (ISO-8601; no offset means UTC)')
    .option('--to <iso>', 'end time, exclusive')
    .option('--limit <n>', 'maximum rows (capped at 100000)', '100')
    .addOption(new Option('--order <dir>', 'time order').choices(['asc', 'desc']).default('asc'));
}

const TABLE_COLUMNS: Record<string, string[]> = {
  trades: ['timestamp', 'symbol', 'exchange', 'side', 'price', 'quantity', 'currency', 'trade_id'],
  quotes: ['timestamp', 'symbol', 'exchange', 'bid_price', 'bid_quantity', 'ask_price', 'ask_quantity', 'currency'],
};

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  return JSON.stringify(v);
}

function toRows(rows: ResultRow[]): Row[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toCell(v)])));
}

function planLine(p: PlanReport): string {
  const snap = p.snapshotId === null ? 'no snapshot' : `snapshot ${p.snapshotId}`;
  const fresh = p.freshUnavailable !== null ? `fresh rows: ${p.freshUnavailable}` : `${p.freshRecords} fresh rows from the bus`;
  return `${p.table}: ${snap}; scanned ${p.filesScanned} of ${p.filesTotal} files (${p.filesSkipped} skipped: ${p.skippedByPartition} by partition, ${p.skippedByBounds} by bounds); ${fresh}`;
}

async function emit(cmd: Command, flags: CommonFlags, result: QueryResult, view: string): Promise<void> {
  const { globals } = commandContext(cmd);
  if (flags.parquet !== undefined) {
    const out = await writeResultParquet(result, flags.parquet);
    process.stderr.write(`wrote ${result.rows.length} rows to ${out}\n`);
    return;
  }
  const json = flags.json === true || globals.json;
  if (json) {
    process.stdout.write(formatRows(result.rows as unknown as Row[], 'json'));
    return;
  }
  if (flags.csv === true) {
    process.stdout.write(formatRows(toRows(result.rows), 'csv', result.columns));
    return;
  }
  process.stdout.write(formatRows(toRows(result.rows), 'table', TABLE_COLUMNS[view] ?? result.columns));
  for (const p of result.plans) process.stderr.write(`${planLine(p)}\n`);
}

/** Runs fn with a query service for this command, closing it afterwards. */
async function withService<T>(cmd: Command, flags: CommonFlags, fn: (s: OpenedQueryService) => Promise<T>): Promise<T> {
  const { globals, logger } = commandContext(cmd);
  const opened = openQueryService({ globals, logger, catalog: flags.catalog, registry: flags.registry, fresh: flags.fresh, tailTimeoutMs: flags.freshTimeout, tailMaxRecords: flags.freshMaxRecords });
  try {
    return await fn(opened);
  } finally {
    await opened.close();
    // A read given up at its deadline may still wait on kafkajs, which cannot cancel a request; its socket
    // would hold the process until kafkajs's own timeout (30 s and more) after the answer is printed.
    const pending = opened.tail?.pendingReads?.() ?? 0;
    if (pending > 0) {
      logger.debug('exiting with bus reads still pending', { reads: pending });
      // after main() has reported an error, if any, and set the exit code
      setImmediate(() => process.exit());
    }
  }
}

/** Flag validation: a bad flag value is a usage error (exit 2) naming the flag. */
function parseFlags<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  try {
    return parseQuery(schema, input, NAMES);
  } catch (err) {
    if (err instanceof ValidationError) throw new ConfigError(err.message, err.context);
    throw err;
  }
}

function tradeInput(o: Record<string, unknown>): Record<string, unknown> {
  return { symbol: o.symbol, side: o.side, exchange: o.exchange, currency: o.currency, from: o.from, to: o.to, limit: o.limit, order: o.order, asOf: o.asOf, snapshot: o.snapshot, fresh: o.fresh };
}

export function registerQuery(program: Command): void {
  const query = program
    .command('query')
    .description('Query trades (default), quotes, summaries, bars, symbols and snapshots from Iceberg, plus fresh rows from the bus')
    .addHelpText(
      'after',
      `
Examples:
  k2 query --symbol BHP --side BUY --limit 20          trades (flags: k2 query trades --help)
  k2 query summary --symbol BHP --date 2014-03-10      ASX trading date, Australia/Sydney
  k2 query bars --symbol BTCUSDT --interval 1m --from 2024-01-02T00:00:00Z --to 2024-01-02T01:00:00Z
  k2 query --symbol BHP --as-of 2026-01-01T00:00:00Z   time travel
  k2 query sql "SELECT symbol, count(*) FROM trades GROUP BY 1" --json`,
    );

  // `k2 query --symbol BHP` is `k2 query trades --symbol BHP`: trades is the default subcommand.
  addCommon(addRowFilters(query.command('trades', { isDefault: true }).description('Trades (the default: k2 query --symbol BHP)'), true)).action(
    async (opts: Record<string, unknown> & CommonFlags, cmd: Command) => {
      const q = parseFlags(tradeQuerySchema, tradeInput(opts));
      await withService(cmd, opts, async ({ service }) => emit(cmd, opts, await service.trades(q), 'trades'));
    },
  );

  addCommon(addRowFilters(query.command('quotes').description('Top-of-book quotes'), false)).action(
    async (opts: Record<string, unknown> & CommonFlags, cmd: Command) => {
      const q = parseFlags(quoteQuerySchema, { ...tradeInput(opts), side: undefined });
      await withService(cmd, opts, async ({ service }) => emit(cmd, opts, await service.quotes(q), 'quotes'));
    },
  );

  addCommon(
    query
      .command('summary')
      .description("Open, high, low, close, volume, trade count, VWAP and notional for one symbol on one trading date (in the exchange's time zone)")
      .requiredOption('--symbol <symbol>', 'symbol')
      .requiredOption('--date <YYYY-MM-DD>', "trading date in the exchange's time zone (Australia/Sydney for ASX, UTC for crypto)")
      .option('--exchange <name>', 'exchange, when the symbol trades on several'),
  ).action(async (opts: Record<string, unknown> & CommonFlags, cmd: Command) => {
    const q = parseFlags(summaryQuerySchema, { symbol: opts.symbol, date: opts.date, exchange: opts.exchange, asOf: opts.asOf, snapshot: opts.snapshot, fresh: opts.fresh });
    await withService(cmd, opts, async ({ service }) => emit(cmd, opts, await service.summary(q), 'summary'));
  });

  addCommon(
    query
      .command('bars')
      .description('OHLCV + VWAP bars for one symbol')
      .requiredOption('--symbol <symbol>', 'symbol')
      .requiredOption('--interval <interval>', `bar interval: ${BAR_INTERVALS.join(', ')}`)
      .option('--exchange <name>', 'exchange, when the symbol trades on several')
      .option('--currency <code>', 'currency')
      .option('--from <iso>', 'start time, inclusive')
      .option('--to <iso>', 'end time, exclusive')
      .option('--limit <n>', 'maximum bars (capped at 100000)', '10000'),
  ).action(async (opts: Record<string, unknown> & CommonFlags, cmd: Command) => {
    const q = parseFlags(
      barsQuerySchema,
      { symbol: opts.symbol, interval: opts.interval, exchange: opts.exchange, currency: opts.currency, from: opts.from, to: opts.to, limit: opts.limit, asOf: opts.asOf, snapshot: opts.snapshot, fresh: opts.fresh },
    );
    await withService(cmd, opts, async ({ service }) => emit(cmd, opts, await service.bars(q), 'bars'));
  });

  addCommon(query.command('symbols').description('Symbols with trade counts and first/last trade times')).action(
    async (opts: CommonFlags, cmd: Command) => {
      const t = parseFlags(tradeQuerySchema, { asOf: opts.asOf, snapshot: opts.snapshot, fresh: opts.fresh });
      await withService(cmd, opts, async ({ service }) => emit(cmd, opts, await service.symbols(t), 'symbols'));
    },
  );

  query
    .command('snapshots')
    .description('Snapshots of a table, oldest first')
    .addOption(new Option('--table <name>', 'table').choices([...QUERY_TABLES]).default('trades_v2'))
    .option('--catalog <spec>', 'Iceberg catalog: "filesystem" (default) or postgres://... (env K2_CATALOG)')
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option('--parquet <file>', 'write the result to a Parquet file')
    .action(async (opts: CommonFlags & { table: string }, cmd: Command) => {
      if (!isQueryTable(opts.table)) throw new ConfigError(`invalid --table: one of ${QUERY_TABLES.join(', ')}`, { field: '--table' });
      const table = opts.table;
      await withService(cmd, { ...opts, fresh: false }, async ({ service }) => emit(cmd, opts, await service.snapshots(table), 'snapshots'));
    });

  addCommon(
    query
      .command('sql')
      .description('Read-only SQL over the views `trades` and `quotes` (one SELECT; no file access)')
      .argument('<select>', 'one SELECT statement')
      .option('--max-rows <n>', 'maximum rows printed', '100000'),
  ).action(async (select: string, opts: CommonFlags & { maxRows: string }, cmd: Command) => {
    const t = parseFlags(tradeQuerySchema, { asOf: opts.asOf, snapshot: opts.snapshot, fresh: opts.fresh });
    if (!/^\d+$/.test(opts.maxRows) || Number(opts.maxRows) < 1) throw new ConfigError('invalid --max-rows: a positive integer', { field: '--max-rows' });
    await withService(cmd, opts, async ({ files, tail }) => {
      const result = await runReadOnlySql({
        files,
        tail,
        selector: snapshotSelectorOf(t),
        freshSkip: freshSkipReason(t),
        sql: select,
        parquetOut: opts.parquet,
        maxRows: Number(opts.maxRows),
      });
      if (opts.parquet !== undefined) {
        process.stderr.write(`wrote ${String(result.rows[0]?.written)}\n`);
        return;
      }
      await emit(cmd, opts, result, 'sql');
    });
  });
}

