/**
 * Issue 6 headline, end to end in embedded mode: `k2 stream binance` against the
 * fault-injecting emulator, with the Iceberg consumer in the same process. Afterwards
 * the Iceberg table holds every trade id of every symbol exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { BinanceEmulator, waitFor } from '../support/binance-emulator.js';
import { runK2, spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];

describe('k2 stream binance, embedded mode, into Iceberg', () => {
  const dir = tempDir();
  let emu: BinanceEmulator | null = null;
  afterAll(async () => {
    await emu?.close();
    dir.cleanup();
  });

  it('every trade id lands in market_data.trades_v2 exactly once despite gaps, drops and garbage', async () => {
    emu = await BinanceEmulator.start({ symbols: SYMBOLS });
    const e = emu;
    const child = spawnK2(
      ['--data-dir', dir.path, 'stream', 'binance', '--symbols', SYMBOLS.join(','), '--streams', 'trade', '--url', e.wsUrl, '--rest-url', e.restUrl, '--metrics-port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor(() => e.openConnections > 0, 60_000, 'the stream to connect');

    // 40 rounds of trades for every symbol, with faults between them
    for (let round = 0; round < 40; round++) {
      e.emitRound(5);
      if (round === 8) e.emitTrades('ETHUSDT', 7, false); // ids skipped on the socket: backfilled over REST
      if (round === 15) e.sendMalformedJson();
      if (round === 20) e.sendUnknownEvent();
      if (round === 25) e.dropAll(); // the client reconnects and backfills what it missed
      if (round === 30) e.emitTrades('BTCUSDT', 3, false);
      await new Promise((r) => setTimeout(r, round === 25 ? 300 : 40));
      if (round === 25) await waitFor(() => e.openConnections > 0, 60_000, 'the reconnect');
    }
    e.emitRound(5);
    const expected = Object.fromEntries(SYMBOLS.map((s) => [s, e.lastId(s)]));
    await waitFor(() => /committed|consuming/.test(stderr), 60_000, 'the consumer');
    await new Promise((r) => setTimeout(r, 3000));
    // the consumer runs on a worker thread; its metrics show on the stream's /metrics
    const url = /metrics url=(\S+)/.exec(stderr)?.[1];
    expect(url, stderr).toBeDefined();
    const metrics = await (await fetch(url!)).text();
    expect(metrics).toMatch(/k2_iceberg_rows_committed_total\{table="trades_v2"\} [1-9]\d*/);
    expect(metrics).toMatch(/k2_binance_messages_received_total\{symbol="BTCUSDT"\} [1-9]/);
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    // anything not committed before shutdown is committed by the next run
    const rest = await runK2(['--data-dir', dir.path, '--log-level', 'warn', 'consume', '--once']);
    expect(rest.code, rest.stderr).toBe(0);

    const catalog = openCatalog(undefined, join(dir.path, 'warehouse'));
    const files = (await IcebergTableReader.open(catalog, 'trades_v2'))!.dataFiles();
    await catalog.close();
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const res = await conn.runAndReadAll(
      `SELECT symbol, count(*)::BIGINT AS n, count(DISTINCT source_sequence)::BIGINT AS d, min(source_sequence) AS lo, max(source_sequence) AS hi,
              count(*) FILTER (WHERE vendor_data['backfilled'] = 'true')::BIGINT AS backfilled
       FROM read_parquet([${files.map((f) => `'${f.path}'`).join(',')}]) GROUP BY symbol ORDER BY symbol`,
    );
    const rows = res.getRowObjectsJson() as Array<Record<string, string>>;
    conn.closeSync();
    db.closeSync();
    for (const s of SYMBOLS) {
      const r = rows.find((x) => x.symbol === s)!;
      expect({ s, n: r.n, d: r.d, lo: r.lo, hi: r.hi }).toEqual({ s, n: String(expected[s]), d: String(expected[s]), lo: '1', hi: String(expected[s]) });
    }
    expect(Number(rows.find((x) => x.symbol === 'ETHUSDT')!.backfilled)).toBeGreaterThanOrEqual(7);
    expect(Number(rows.find((x) => x.symbol === 'BTCUSDT')!.backfilled)).toBeGreaterThanOrEqual(3);
  }, 240_000);
});
