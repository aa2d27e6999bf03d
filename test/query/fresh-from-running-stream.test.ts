/**
 * Freshness without --brokers: while `k2 stream binance` runs in embedded mode, a
 * separate `k2 query` finds its broker through the data dir's lock file and shows the
 * trades the bus accepted, committed to Iceberg or not, each exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BinanceEmulator, waitFor } from '../support/binance-emulator.js';
import { runK2, spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('k2 query next to a running k2 stream (embedded)', () => {
  const dir = tempDir();
  let emu: BinanceEmulator | null = null;
  afterAll(async () => {
    await emu?.close();
    dir.cleanup();
  });

  it('sees every trade received so far, exactly once', async () => {
    emu = await BinanceEmulator.start({ symbols: ['BTCUSDT'] });
    const e = emu;
    const child = spawnK2(
      ['--data-dir', dir.path, 'stream', 'binance', '--symbols', 'BTCUSDT', '--streams', 'trade', '--url', e.wsUrl, '--rest-url', e.restUrl, '--metrics-port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitFor(() => e.openConnections > 0, 60_000, 'the stream to connect');
      e.emitTrades('BTCUSDT', 50);
      await waitFor(() => /committed|consuming/.test(stderr), 60_000, 'the in-process consumer');
      // more trades, then query at once: some of them are not committed yet
      e.emitTrades('BTCUSDT', 30);
      await new Promise((r) => setTimeout(r, 300));
      const r = await runK2(['--data-dir', dir.path, 'query', '--symbol', 'BTCUSDT', '--limit', '1000', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout) as Array<{ trade_id: string }>;
      const ids = rows.map((x) => x.trade_id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(80);
      expect(r.stderr).not.toContain('committed rows only');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 180_000);
});
