/**
 * Plain-text output of the demo for non-TTY runs (CI logs, pipes): a periodic
 * summary block, and the exit report saying what was captured and how to query it.
 */
import type { Micros } from '../model/trade.js';
import { formatAge, formatChange, formatCount, formatDecimal, formatRounded } from './format.js';
import type { MarketSnapshot } from './model/market-view.js';
import type { CaptureSummary, PipelineHealth } from './types.js';

export function formatPlainSummary(opts: {
  label: string;
  uptimeMs: number;
  market: MarketSnapshot;
  health: PipelineHealth;
  now: Micros;
}): string {
  const { health, market } = opts;
  const component = (name: string): string | undefined => {
    const c = health.components.find((x) => x.name === name);
    return c !== undefined && c.state !== 'running' ? c.state : undefined;
  };
  const rows =
    health.icebergRows !== null ? formatCount(health.icebergRows) : (component('iceberg') ?? 'waiting for first commit');
  const lag = health.busLag !== null ? formatCount(health.busLag) : (component('bus') ?? 'n/a');
  const commit =
    health.lastCommitAt !== null ? `${formatAge(Number(opts.now - health.lastCommitAt) / 1000)} ago` : 'none yet';
  const fresh = health.freshness !== null ? `${formatAge(health.freshness.lastMs)} (p99 ${formatAge(health.freshness.p99Ms)})` : 'n/a';
  const lines = [
    `[${formatAge(opts.uptimeMs)}] ${opts.label}  websocket ${health.connection}  reconnects ${health.reconnects}  ` +
      `gaps backfilled ${health.gapsBackfilled}  bus lag ${lag}  iceberg rows ${rows}  last commit ${commit}  freshness ${fresh}`,
  ];
  for (const f of market.symbols) {
    lines.push(
      `  ${f.symbol.padEnd(8)} last ${f.last === null ? '-' : formatDecimal(f.last)}  change ${formatChange(f.change, f.changeBps)}  ` +
        `msg/s ${f.msgsPerSecond.toFixed(1)}  vwap 1m ${f.vwap1m === null ? '-' : formatRounded(f.vwap1m, 2)}  trades ${formatCount(f.trades)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The exit report: what was captured, where it is, and the commands to query it. */
export function formatCaptureReport(summary: CaptureSummary, opts: { sourceLabel: string; dataDirFlag: string | null; invokedAs?: string }): string {
  const total = Object.values(summary.trades).reduce((a, b) => a + b, 0);
  const perSymbol = Object.entries(summary.trades)
    .map(([s, n]) => `${s} ${formatCount(n)}`)
    .join(', ');
  const lines = [
    `k2 demo captured ${formatCount(total)} trades (${perSymbol}) and ${formatCount(summary.quotes)} quotes in ${summary.seconds.toFixed(0)} s`,
    `  source: ${opts.sourceLabel}`,
  ];
  if (summary.icebergRows !== null && summary.tables.length > 0) {
    const run = summary.storedThisRun ?? 0n;
    const total = summary.icebergRows !== run ? `; ${formatCount(summary.icebergRows)} rows in total` : '';
    lines.push(`  stored: ${formatCount(run)} rows committed to Iceberg (${summary.tables.join(', ')})${total}, under ${summary.dataDir}`);
  }
  for (const note of summary.notes) lines.push(`  note: ${note}`);
  const symbol = Object.entries(summary.trades).find(([, n]) => n > 0)?.[0] ?? Object.keys(summary.trades)[0] ?? 'BTCUSDT';
  const k2 = opts.invokedAs ?? 'k2';
  const dd = opts.dataDirFlag === null ? '' : ` --data-dir ${opts.dataDirFlag}`;
  const today = new Date().toISOString().slice(0, 10);
  lines.push(
    summary.tables.length > 0 ? 'Query it:' : 'Query it (once the demo stores to Iceberg):',
    `  ${k2}${dd} query bars --symbol ${symbol} --interval 1m`,
    `  ${k2}${dd} query --symbol ${symbol} --limit 20 --order desc`,
    `  ${k2}${dd} query summary --symbol ${symbol} --date ${today}`,
    `  ${k2}${dd} query sql "SELECT symbol, count(*) AS trades FROM trades GROUP BY symbol"`,
  );
  return `${lines.join('\n')}\n`;
}
