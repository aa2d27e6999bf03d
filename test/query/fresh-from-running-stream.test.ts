/**
 * Freshness without --brokers: while `k2 stream binance` runs in embedded mode, a
 * separate `k2 query` finds its broker through the data dir's lock file and shows the
 * trades the bus accepted, committed to Iceberg or not, each exactly once. A `k2 serve`
 * started before the stream finds it too, and says so when it is gone again.
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

  it('k2 serve started first picks up a stream started later, and reports it gone after it stops', async () => {
    const dir2 = tempDir();
    const e = emu ?? (emu = await BinanceEmulator.start({ symbols: ['BTCUSDT'] }));
    const serve = spawnK2(['--data-dir', dir2.path, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let serveErr = '';
    serve.stderr!.setEncoding('utf8').on('data', (d: string) => (serveErr += d));
    const serveExited = new Promise<void>((resolve) => serve.on('close', () => resolve()));
    let stream: ReturnType<typeof spawnK2> | null = null;
    let streamExited: Promise<number | null> = Promise.resolve(null);
    type Answer = { data: Array<{ trade_id: string }>; meta: { scans: Array<{ freshUnavailable: string | null }> } };
    try {
      await waitFor(() => /http:\/\/127\.0\.0\.1:\d+/.test(serveErr), 60_000, 'k2 serve to listen');
      const base = /http:\/\/127\.0\.0\.1:\d+/.exec(serveErr)![0];
      const trades = async (): Promise<Answer> => (await (await fetch(`${base}/v1/trades?symbol=BTCUSDT&limit=1000`)).json()) as Answer;

      const before = await trades();
      expect(before.data).toEqual([]);
      expect(before.meta.scans[0]!.freshUnavailable).toMatch(/no bus running/);

      stream = spawnK2(
        ['--data-dir', dir2.path, 'stream', 'binance', '--symbols', 'BTCUSDT', '--streams', 'trade', '--url', e.wsUrl, '--rest-url', e.restUrl, '--metrics-port', '0'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let streamErr = '';
      stream.stderr!.setEncoding('utf8').on('data', (d: string) => (streamErr += d));
      const s = stream;
      streamExited = new Promise((resolve) => s.on('close', (code) => resolve(code)));
      const connectionsBefore = e.openConnections;
      await waitFor(() => e.openConnections > connectionsBefore, 60_000, 'the stream to connect');
      await waitFor(() => /consuming/.test(streamErr), 60_000, 'the in-process consumer');
      e.emitTrades('BTCUSDT', 25);
      // fresh or committed, the server sees all 25 while the stream runs
      let live: Answer | null = null;
      for (let i = 0; i < 200; i++) {
        live = await trades();
        if (live.data.length >= 25) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(live!.meta.scans[0]!.freshUnavailable).toBeNull();
      const ids = live!.data.map((r) => r.trade_id);
      expect(ids.length).toBe(25);
      expect(new Set(ids).size).toBe(25);

      s.kill('SIGTERM');
      expect(await streamExited).toBe(0);
      const after = await trades();
      expect(after.meta.scans[0]!.freshUnavailable).toMatch(/no bus running/);
      expect(after.data.length).toBe(25); // committed at shutdown
    } finally {
      stream?.kill('SIGKILL');
      await streamExited;
      serve.kill('SIGTERM');
      await serveExited;
      dir2.cleanup();
    }
  }, 180_000);
});
