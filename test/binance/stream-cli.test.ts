/**
 * `k2 stream binance` as a user runs it: a real child process against the local
 * emulator, publishing into the embedded broker under a temporary data dir.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runK2, spawnK2 } from '../support/cli.js';
import { waitFor, type BinanceEmulator } from '../support/binance-emulator.js';
import { streamCliEnv } from '../support/stream-cli-env.js';

const { startEmulator, dataDir } = streamCliEnv('k2-stream-cli-');

/** Emits a round of trades whenever the CLI is connected, until stopped. */
function feed(e: BinanceEmulator): () => void {
  let sentMalformed = false;
  const t = setInterval(() => {
    if (e.openConnections === 0) return;
    e.emitTrades('BTCUSDT', 5);
    e.emitQuotes('BTCUSDT', 1);
    if (!sentMalformed) {
      sentMalformed = true;
      e.sendMalformedJson();
    }
  }, 20);
  return () => clearInterval(t);
}

describe('k2 stream binance', () => {
  it('streams into the bus until --max-messages, prints a JSON summary, dead-letters bad frames, exits 0', async () => {
    const emu = await startEmulator({ symbols: ['BTCUSDT'] });
    const dir = dataDir();
    const stop = feed(emu);
    const r = await runK2(
      ['--data-dir', dir, 'stream', 'binance', '--symbols', 'btcusdt', '--url', emu.wsUrl, '--rest-url', emu.restUrl, '--metrics-port', '0', '--max-messages', '60', '--json'],
      { timeoutMs: 90_000 },
    );
    stop();
    expect(r.stderr).toContain('embedded broker (market.crypto.trades.binance, market.crypto.quotes.binance)');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown> & { symbols: Record<string, { messages: number; trades: number; quotes: number; last_price: string }> };
    expect(summary.reason).toBe('max_messages');
    expect(summary.messages).toBe(60);
    expect(summary.published).toBeGreaterThanOrEqual(60);
    expect(summary.errors).toBe(1);
    expect(summary.symbols.BTCUSDT!.messages).toBe(60);
    expect(summary.symbols.BTCUSDT!.last_price).toMatch(/^\d+(\.\d+)?$/);
    const dl = readdirSync(join(dir, 'dead-letter'));
    expect(dl).toHaveLength(1);
    const line = JSON.parse(readFileSync(join(dir, 'dead-letter', dl[0]!), 'utf8').split('\n')[0]!) as { error_type: string; frame: string };
    expect(line.error_type).toBe('malformed_json');
    expect(line.frame).toContain('"stream":"btcusdt@trade"');
  }, 120_000);

  it('SIGTERM closes the socket, flushes, and exits 0 with a summary', async () => {
    const e = await startEmulator({ symbols: ['BTCUSDT'] });
    const dir = dataDir();
    const child = spawnK2(['--data-dir', dir, 'stream', 'binance', '--symbols', 'BTCUSDT', '--streams', 'trade', '--url', e.wsUrl, '--rest-url', e.restUrl, '--metrics-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const stop = feed(e);
    await waitFor(() => stderr.includes('connected: receiving'), 60_000, 'the CLI to receive');
    await waitFor(() => stderr.includes('created topic') && stderr.includes('market.crypto.trades.binance'), 30_000, 'first publish');
    child.kill('SIGTERM');
    const code = await exited;
    stop();
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/stopped \(terminated\): \d+ messages, \d+ records published/);
    expect(stdout).toContain('BTCUSDT');
    expect(e.openConnections).toBe(0);
  }, 120_000);

  it.each([
    [['--symbols', 'ABCXYZ'], /--symbols/],
    [['--symbols', 'BTCUSDT', '--streams', 'depth'], /--streams/],
    [['--symbols', 'BTCUSDT', '--url', 'http://x'], /--url/],
  ])('rejects bad flags %j with exit 2 naming the flag', async (args, pattern) => {
    const r = await runK2(['--data-dir', dataDir(), 'stream', 'binance', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
  });
});
