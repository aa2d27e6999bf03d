/**
 * `k2 query` through the real CLI (child process, real Iceberg tables on disk):
 * output formats, --json after the subcommand, Parquet output, time travel, clean
 * usage errors, and injection strings as literal no-match answers.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TradeV2 } from '../../src/model/trade.js';
import { runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { icebergFixture } from './support/iceberg-fixture.js';
import { fmt8, localDay, referenceOhlcv, syntheticQuotes, syntheticTrades } from './support/synthetic-trades.js';

describe('k2 query (CLI)', { timeout: 120_000 }, () => {
  const tmp = tempDir('k2-query-cli-');
  let trades: TradeV2[];
  let firstSnapshot: bigint;
  const k2 = (...args: string[]) => runK2(['--data-dir', tmp.path, '--log-level', 'error', ...args]);

  beforeAll(async () => {
    const fx = await icebergFixture(tmp.path);
    trades = syntheticTrades({ dates: ['2014-03-10', '2014-03-11'], perDay: 120 });
    firstSnapshot = await fx.appendTrades(trades.slice(0, 300));
    await fx.appendTrades(trades.slice(300));
    await fx.appendQuotes(syntheticQuotes(trades));
    await fx.close();
  });
  afterAll(() => tmp.cleanup());

  it('prints an aligned table with exact prices, and the scan plan on stderr', async () => {
    const r = await k2('query', '--symbol', 'BHP', '--side', 'BUY', '--limit', '3');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^timestamp\s+symbol\s+exchange\s+side\s+price\s+quantity/);
    expect(lines.length).toBe(5);
    const first = trades.filter((t) => t.symbol === 'BHP' && t.side === 'BUY').sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1))[0]!;
    expect(lines[2]).toContain(fmt8(first.price));
    expect(r.stderr).toMatch(/scanned \d+ of \d+ files \(\d+ skipped/);
    // no process serves this data dir's bus: the plan says why fresh rows were not read
    expect(r.stderr).toContain('fresh rows: not read (no bus running for this data dir');
    const off = await k2('query', '--symbol', 'BHP', '--limit', '1', '--no-fresh');
    expect(off.stderr).toContain('fresh rows: not read (turned off: committed rows only)');
  });

  it('accepts --json after the subcommand, and --csv', async () => {
    const j = await k2('query', 'summary', '--symbol', 'BHP', '--date', '2014-03-10', '--json');
    expect(j.code).toBe(0);
    const [row] = JSON.parse(j.stdout) as Record<string, string>[];
    const d = localDay('2014-03-10', 'Australia/Sydney');
    const ref = referenceOhlcv(trades.filter((t) => t.symbol === 'BHP' && t.timestamp >= d.from && t.timestamp < d.to))!;
    expect({ open: row!.open, high: row!.high, low: row!.low, close: row!.close, volume: row!.volume, vwap: row!.vwap, notional: row!.notional, trade_count: row!.trade_count }).toEqual({
      open: ref.open,
      high: ref.high,
      low: ref.low,
      close: ref.close,
      volume: ref.volume,
      vwap: ref.vwap,
      notional: ref.notional,
      trade_count: ref.trade_count,
    });
    const c = await k2('query', 'bars', '--symbol', 'BHP', '--interval', '1d', '--csv');
    expect(c.code).toBe(0);
    const csv = c.stdout.trimEnd().split('\n');
    expect(csv[0]).toBe('symbol,exchange,bucket_start,trading_date,open,high,low,close,volume,trade_count,vwap,notional');
    expect(csv.slice(1).map((l) => l.split(',')[3])).toEqual(['2014-03-10', '2014-03-11']);
  });

  it('writes --parquet with exact decimal types', async () => {
    const out = join(tmp.path, 'bhp.parquet');
    const r = await k2('query', '--symbol', 'BHP', '--limit', '100000', '--parquet', out);
    expect(r.code).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const res = await conn.runAndReadAll(`SELECT count(*) AS n, sum(quantity) AS v, any_value(typeof(price)) AS t FROM read_parquet('${out}')`);
    const bhp = trades.filter((t) => t.symbol === 'BHP');
    expect(res.getRowObjectsJson()).toEqual([{ n: String(bhp.length), v: fmt8(bhp.reduce((a, t) => a + t.quantity, 0n)), t: 'DECIMAL(18,8)' }]);
    conn.closeSync();
    db.closeSync();
  });

  it('time travels with --snapshot and lists snapshots', async () => {
    const s = await k2('query', 'snapshots', '--table', 'trades_v2', '--json');
    expect(s.code).toBe(0);
    const snaps = JSON.parse(s.stdout) as { snapshot_id: string; current: boolean }[];
    expect(snaps.length).toBe(2);
    expect(snaps[0]!.snapshot_id).toBe(firstSnapshot.toString());
    const old = await k2('query', '--limit', '100000', '--snapshot', firstSnapshot.toString(), '--json');
    expect((JSON.parse(old.stdout) as unknown[]).length).toBe(300);
    const oldTable = await k2('query', '--limit', '1', '--snapshot', firstSnapshot.toString());
    expect(oldTable.stderr).toContain('fresh rows: not read (time travel: the chosen snapshot only)');
  });

  it('reports bad flags as usage errors naming the flag', async () => {
    const a = await k2('query', '--from', '2014-03-11', '--to', '2014-03-10');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--from.*before --to/);
    const b = await k2('query', 'bars', '--symbol', 'BHP', '--interval', '2m');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--interval.*1m, 5m, 15m, 1h, 1d/);
    const c = await k2('query', '--side', 'SIDEWAYS');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--side/);
  });

  it('treats injection strings as literal values in every flag', async () => {
    const evil = ["' OR 1=1 --", '"; DROP TABLE trades_v2; --'];
    for (const [flag, value] of [['--symbol', evil[0]!], ['--exchange', evil[1]!], ['--currency', evil[0]!]] as const) {
      const r = await k2('query', flag, value, '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([]);
    }
    const s = await k2('query', 'summary', '--symbol', evil[1]!, '--date', '2014-03-10', '--json');
    expect((JSON.parse(s.stdout) as { trade_count: string }[])[0]!.trade_count).toBe('0');
    const t = await k2('query', '--from', "2014-03-10' OR 1=1 --");
    expect(t.code).toBe(2);
  }, 180_000);

  it('runs read-only SQL and refuses file access', async () => {
    const sql = await k2('query', 'sql', "SELECT * FROM read_parquet('/etc/passwd')");
    expect(sql.code).toBe(1);
    expect(sql.stderr).toMatch(/disabled by configuration/);
    const all = await k2('query', 'sql', 'SELECT count(*) AS n FROM trades', '--json');
    expect(JSON.parse(all.stdout)).toEqual([{ n: String(trades.length) }]);
  }, 120_000);
});
