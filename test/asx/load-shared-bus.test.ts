/**
 * `k2 load asx` without --brokers when another k2 process holds the data dir's bus:
 * - a `k2 broker` (or stream, demo) serves it: the load uses that bus AND runs its own
 *   consumer, so the rows are in the table when it returns (it used to return with the
 *   rows only in the topic, and no consumer to commit them);
 * - another load holds it: that bus ends with that load, so this load waits for the data
 *   dir and then serves its own bus (it used to borrow it and fail when the other ended);
 * - the process serving the bus exits mid-load: the error says so and that loading again
 *   is safe, and loading again does complete the table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runK2, spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { freePort, startBrokerProcess } from '../broker/support/k2-broker-process.js';

const SMALL = join(REPO_ROOT, 'fixtures/asx/trades/7181.csv');
const BIG = join(REPO_ROOT, 'fixtures/asx/trades/7078.csv');

interface LoadJson {
  rows_valid: number;
  iceberg?: { trades_v2: number; quotes_v2: number; duplicates_dropped: number; shared_bus_with?: string };
}

async function tradeCount(dataDir: string, symbol: string): Promise<number> {
  const r = await runK2(['--data-dir', dataDir, '--json', 'query', 'symbols', '--no-fresh']);
  expect(r.code, r.stderr).toBe(0);
  const row = (JSON.parse(r.stdout) as Array<{ symbol: string; trade_count: string | number }>).find((x) => x.symbol === symbol);
  return row === undefined ? 0 : Number(row.trade_count);
}

describe('k2 load asx next to another k2 process on the same data dir', () => {
  const dir = tempDir('k2-load-shared-');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    dir.cleanup();
  });

  it('uses the bus of a running `k2 broker` and still commits its rows before returning', async () => {
    const dataDir = join(dir.path, 'with-broker');
    const broker = await startBrokerProcess(dataDir, await freePort());
    children.push(broker.child);
    try {
      const r = await runK2(['--data-dir', dataDir, '--log-level', 'warn', 'load', 'asx', SMALL, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as LoadJson;
      expect(out.iceberg).toEqual({ trades_v2: 232, quotes_v2: 0, duplicates_dropped: 0, shared_bus_with: `k2 broker, pid ${broker.child.pid}` });
      expect(await tradeCount(dataDir, 'DVN')).toBe(232);
    } finally {
      await broker.stop();
    }
  }, 120_000);

  /** A load in progress, as its lock shows it: a live pid, endpoints nobody listens on. */
  async function fakeLoadHoldingBus(dataDir: string): Promise<ChildProcess> {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(holder);
    mkdirSync(join(dataDir, 'broker'), { recursive: true });
    const deadPort = await freePort();
    writeFileSync(
      join(dataDir, 'broker', 'broker.lock'),
      JSON.stringify({ pid: holder.pid, kafka: `127.0.0.1:${deadPort}`, registry: `http://127.0.0.1:${deadPort}`, token: 'other', owner: 'k2 load asx' }),
    );
    return holder;
  }

  it('waits while another load holds the data dir, then serves its own bus', async () => {
    const dataDir = join(dir.path, 'after-load');
    const holder = await fakeLoadHoldingBus(dataDir);
    const load = spawnK2(['--data-dir', dataDir, 'load', 'asx', SMALL, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(load);
    let out = '';
    let err = '';
    load.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    load.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => load.on('close', (code) => resolve(code)));
    while (!err.includes('waiting for k2 load asx')) {
      expect(load.exitCode, err).toBeNull(); // it must wait, not borrow the other load's bus and fail
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(err).toContain(`waiting for k2 load asx (pid ${holder.pid}) to finish with this data dir`);
    holder.kill('SIGKILL'); // the other load ends
    expect(await exited, err).toBe(0);
    expect((JSON.parse(out) as LoadJson).iceberg).toEqual({ trades_v2: 232, quotes_v2: 0, duplicates_dropped: 0 });
    expect(await tradeCount(dataDir, 'DVN')).toBe(232);
  }, 120_000);

  it('k2 consume waits for a load holding the data dir too, rather than borrow a bus that ends with it', async () => {
    const dataDir = join(dir.path, 'consume-after-load');
    const holder = await fakeLoadHoldingBus(dataDir);
    const consume = spawnK2(['--data-dir', dataDir, 'consume', '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(consume);
    let err = '';
    consume.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => consume.on('close', (code) => resolve(code)));
    while (!err.includes(`waiting for k2 load asx (pid ${holder.pid})`)) {
      expect(consume.exitCode, err).toBeNull();
      await new Promise((r) => setTimeout(r, 50));
    }
    holder.kill('SIGKILL');
    expect(await exited, err).toBe(0);
  }, 120_000);

  it('says so when the process serving the bus exits mid-load; loading again completes the table', async () => {
    const dataDir = join(dir.path, 'host-gone');
    const broker = await startBrokerProcess(dataDir, await freePort());
    children.push(broker.child);
    const load = spawnK2(['--data-dir', dataDir, 'load', 'asx', BIG, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(load);
    let err = '';
    load.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => load.on('close', (code) => resolve(code)));
    while (!err.includes('using the k2 broker already serving this data dir')) {
      expect(load.exitCode, err).toBeNull();
      await new Promise((r) => setTimeout(r, 20));
    }
    await broker.stop('SIGKILL');
    expect(await exited).toBe(1);
    // the kill lands while the load publishes, or (on a busy machine) still during its setup
    // (topics, schemas): either way the error names the process that exited
    expect(err).toMatch(
      new RegExp(
        `the k2 process that served this data dir's bus \\(k2 broker, pid ${broker.child.pid}\\) exited( during the load, after \\d+ records were published: load the files again|: )`,
      ),
    );
    const again = await runK2(['--data-dir', dataDir, '--log-level', 'warn', 'load', 'asx', BIG, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(await tradeCount(dataDir, 'BHP')).toBe(17_000);
  }, 180_000);
});
