/**
 * `k2 stream binance` without --brokers borrows the bus of the `k2 broker` serving its data
 * dir. When that broker dies (kill -9) mid-stream, the stream says so, re-homes (starts the
 * data dir's bus in its own process, from the same topic data and registry) and goes on
 * publishing: at SIGINT nothing is dead-lettered, it exits 0, and every trade it reports as
 * published is in the data dir's table exactly once.
 *
 * Real parts: the local Binance emulator, a `k2 broker` child process, a `k2 stream binance`
 * child process with its in-process Iceberg consumer. No wall-clock assertions: every wait is
 * for a condition (with a generous timeout).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startBrokerProcess, type BrokerProcess } from '../broker/support/k2-broker-process.js';
import { BinanceEmulator, waitFor } from '../support/binance-emulator.js';
import { runK2, spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const SYMBOL = 'BTCUSDT';

let emu: BinanceEmulator | null = null;
let feed: ReturnType<typeof setInterval> | null = null;
const brokers: BrokerProcess[] = [];
const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  if (feed !== null) clearInterval(feed);
  feed = null;
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const b of brokers.splice(0)) await b.stop('SIGKILL');
  await emu?.close();
  emu = null;
  for (const c of cleanups.splice(0)) c();
});

function logEntries(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

function metricValue(text: string, pattern: RegExp): number {
  const m = pattern.exec(text);
  return m === null ? 0 : Number(m[1]);
}

const PUBLISHED = /k2_producer_records_total\{kind="trades"\} (\d+)/;
const COMMITTED = /k2_iceberg_rows_committed_total\{table="trades_v2"\} (\d+)/;
const RECEIVED = /k2_binance_messages_received_total\{symbol="BTCUSDT"\} (\d+)/;

describe('k2 stream binance on a borrowed bus whose host dies', () => {
  it('re-homes the bus after kill -9 of the k2 broker, publishes everything, and the table holds every trade once', async () => {
    const d = tempDir('k2-stream-rehome-');
    cleanups.push(d.cleanup);
    const dataDir = join(d.path, 'data');
    const broker = await startBrokerProcess(dataDir, await freePort());
    brokers.push(broker);
    emu = await BinanceEmulator.start({ symbols: [SYMBOL] });
    const e = emu;
    const child = spawnK2(
      ['--data-dir', dataDir, 'stream', 'binance', '--symbols', SYMBOL, '--streams', 'trade', '--url', e.wsUrl, '--rest-url', e.restUrl, '--metrics-port', '0', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (x: string) => (stdout += x));
    child.stderr!.setEncoding('utf8').on('data', (x: string) => (stderr += x));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    await waitFor(() => e.openConnections === 1 && logEntries(stderr).some((l) => l.msg === 'metrics'), 60_000, 'the stream to connect');
    expect(stderr).toContain(`the bus of k2 broker, pid ${broker.child.pid}`);
    const metricsUrl = String(logEntries(stderr).find((l) => l.msg === 'metrics')!.url);
    let metrics = '';
    const scrapeUntil = async (pred: () => boolean, what: string, timeoutMs = 90_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        metrics = await (await fetch(metricsUrl)).text();
        if (pred()) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stderr.slice(-5000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // a continuous feed while connected
    feed = setInterval(() => {
      if (e.openConnections > 0) e.emitTrades(SYMBOL, 5);
    }, 20);
    // published to the k2 broker, and some of it committed by the stream's consumer there
    await scrapeUntil(() => metricValue(metrics, PUBLISHED) >= 200 && metricValue(metrics, COMMITTED) > 0, 'trades published to the k2 broker and committed');

    // the host of the borrowed bus dies; the feed goes on
    const brokerPid = broker.child.pid!;
    broker.child.kill('SIGKILL');
    await broker.stop();
    const receivedAtKill = metricValue(metrics, RECEIVED);

    // the stream says the host exited, re-homes, and publishes what arrives after the kill
    await waitFor(() => stderr.includes(`k2 broker, pid ${brokerPid}`) && /exited/.test(stderr), 90_000, 'the stream to notice the broker exited');
    await scrapeUntil(() => metricValue(metrics, PUBLISHED) >= receivedAtKill + 500, 'publishing after the kill');

    // stop feeding, let everything received be published, then SIGINT
    clearInterval(feed);
    feed = null;
    const last = e.lastId(SYMBOL);
    await scrapeUntil(() => metricValue(metrics, RECEIVED) === last && metricValue(metrics, PUBLISHED) === last, 'every trade received and published');
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr.slice(-5000)).toBe(0);

    const warned = logEntries(stderr).filter((l) => l.level === 'warn' && typeof l.msg === 'string' && l.msg.includes(`k2 broker, pid ${brokerPid}`) && l.msg.includes('exited'));
    expect(warned, stderr.slice(-5000)).toHaveLength(1);

    const summary = JSON.parse(stdout) as { reason: string; unpublished: number; symbols: Record<string, { trades: number }> };
    expect(summary.reason).toBe('interrupted');
    expect(summary.unpublished).toBe(0);
    const published = summary.symbols[SYMBOL]!.trades;
    expect(published).toBe(last);

    // no unpublished_at_shutdown dead letters
    const dlDir = join(dataDir, 'dead-letter');
    const letters = existsSync(dlDir) ? readdirSync(dlDir).flatMap((f) => readFileSync(join(dlDir, f), 'utf8').split('\n').filter((l) => l.includes('unpublished_at_shutdown'))) : [];
    expect(letters).toEqual([]);

    // the data dir's table: every published trade exactly once
    const q = await runK2(['--data-dir', dataDir, '--log-level', 'warn', '--json', 'query', 'sql', '--no-fresh', `SELECT count(*) AS n, count(DISTINCT trade_id) AS d FROM trades WHERE symbol='${SYMBOL}'`]);
    expect(q.code, q.stderr).toBe(0);
    const rows = JSON.parse(q.stdout) as Array<{ n: string | number; d: string | number }>;
    expect({ n: Number(rows[0]!.n), d: Number(rows[0]!.d) }).toEqual({ n: published, d: published });
  }, 240_000);
});
