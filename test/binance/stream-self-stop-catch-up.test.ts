/**
 * `k2 stream binance --max-messages` in embedded mode: the stream publishes faster than its
 * Iceberg consumer commits, so at the stop the consumer is behind. A stop of the stream's own
 * lets it catch up (every row is in the table at exit); a signal during that wait ends it,
 * committing what the consumer has, within the 10 s deadline.
 */
import { describe, expect, it } from 'vitest';
import { runK2, spawnK2 } from '../support/cli.js';
import { waitFor, type BinanceEmulator } from '../support/binance-emulator.js';
import { streamCliEnv } from '../support/stream-cli-env.js';

const { startEmulator, dataDir } = streamCliEnv('k2-stream-catch-up-');

interface Run {
  code: Promise<number | null>;
  stderr: () => string;
  stdout: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

/** Starts the stream for `n` trades and replays them at full speed once it is connected. */
async function streamReplay(e: BinanceEmulator, dir: string, n: number): Promise<Run> {
  const child = spawnK2(
    ['--data-dir', dir, '--log-level', 'info', 'stream', 'binance', '--symbols', 'BTCUSDT', '--streams', 'trade', '--url', e.wsUrl, '--rest-url', e.restUrl, '--metrics-port', 'off', '--max-messages', String(n), '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  await waitFor(() => e.openConnections === 1, 60_000, 'the stream to connect');
  void e.replay('BTCUSDT', 1, n);
  return { code, stderr: () => stderr, stdout: () => stdout, kill: (s) => child.kill(s) };
}

async function tradesInTable(dir: string): Promise<number> {
  const q = await runK2(['--data-dir', dir, '--json', 'query', 'symbols', '--no-fresh']);
  expect(q.code, q.stderr).toBe(0);
  const row = (JSON.parse(q.stdout) as Array<{ symbol: string; trade_count: string | number }>).find((x) => x.symbol === 'BTCUSDT');
  return Number(row?.trade_count ?? 0);
}

describe('k2 stream binance: the Iceberg consumer at a stop of the stream\'s own', () => {
  it('--max-messages: every published trade is in the table when the command exits', async () => {
    const emu = await startEmulator({ symbols: ['BTCUSDT'] });
    const dir = dataDir();
    const n = 100_000;
    const run = await streamReplay(emu, dir, n);
    expect(await run.code, run.stderr()).toBe(0);
    expect((JSON.parse(run.stdout()) as { published: number }).published).toBe(n);
    expect(await tradesInTable(dir)).toBe(n);
    expect(run.stderr()).toContain('waiting for the Iceberg consumer to catch up');
  }, 180_000);

  it('a SIGINT during that wait commits what the consumer has and exits 0 within 10 s; the rest stays in the topic', async () => {
    const emu = await startEmulator({ symbols: ['BTCUSDT'] });
    const dir = dataDir();
    const n = 200_000;
    const run = await streamReplay(emu, dir, n);
    await waitFor(() => run.stderr().includes('waiting for the Iceberg consumer to catch up'), 120_000, 'the catch-up');
    const signalledAt = Date.now();
    run.kill('SIGINT');
    const code = await run.code;
    const took = Date.now() - signalledAt;
    expect(code, run.stderr()).toBe(0);
    expect(took).toBeLessThan(10_000);
    expect(run.stderr()).toContain('signal during shutdown');
    const committed = await tradesInTable(dir);
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThanOrEqual(n);
    // what the wait did not commit is still in the topic: a consume run commits the rest, exactly once
    const consume = await runK2(['--data-dir', dir, 'consume', '--once'], { timeoutMs: 120_000 });
    expect(consume.code, consume.stderr).toBe(0);
    expect(await tradesInTable(dir)).toBe(n);
  }, 240_000);
});
