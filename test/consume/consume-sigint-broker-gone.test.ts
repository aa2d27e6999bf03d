/**
 * `k2 consume` against an external broker that then goes away (killed, or hung): SIGINT
 * still commits what was consumed to Iceberg (which needs no broker), logs that the group
 * offsets could not be committed to Kafka (the table's k2.offsets are the source of truth),
 * and exits 0 instead of waiting out kafkajs's retries (13-30 s before the fix; the rule
 * is 10 s). A real `k2 broker` child and a real `k2 consume` child.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordProducer } from '../../src/bus/index.js';
import { parseOffsets } from '../../src/consume/offsets.js';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { silentLogger } from '../../src/log/logger.js';
import { freePort, startBrokerProcess, type BrokerProcess } from '../broker/support/k2-broker-process.js';
import { waitFor } from '../support/binance-emulator.js';
import { spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { trade } from '../support/v2-records.js';

const TOPIC = 'market.crypto.trades.binance';
const N = 2_000;
/**
 * How long the test waits for the exit after SIGINT before it calls it a hang: a little above
 * the 10 s rule, so that the process's own deadline, not this, is what is exercised.
 */
const EXIT_WAIT_MS = 15_000;

const brokers: BrokerProcess[] = [];
const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const b of brokers.splice(0)) {
    b.child.kill('SIGCONT');
    await b.stop('SIGKILL');
  }
  for (const c of cleanups.splice(0)) c();
});

function dir(prefix: string): string {
  const d = tempDir(prefix);
  cleanups.push(d.cleanup);
  return d.path;
}

function logEntries(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function tableState(warehouse: string): Promise<{ rows: string; ids: string; lo: string; hi: string; offset: bigint | undefined }> {
  const catalog = openCatalog(undefined, warehouse);
  const reader = await IcebergTableReader.open(catalog, 'trades_v2');
  await catalog.close();
  const offset = parseOffsets(reader?.latestSnapshotProperty('k2.offsets')).get(TOPIC)?.get(0);
  const files = reader?.dataFiles() ?? [];
  if (files.length === 0) return { rows: '0', ids: '0', lo: '', hi: '', offset };
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const r = await conn.runAndReadAll(
    `SELECT count(*)::BIGINT AS n, count(DISTINCT trade_id)::BIGINT AS d, min(source_sequence) AS lo, max(source_sequence) AS hi FROM read_parquet([${files.map((f) => `'${f.path}'`).join(',')}])`,
  );
  const row = r.getRowObjectsJson()[0] as Record<string, string>;
  conn.closeSync();
  db.closeSync();
  return { rows: row.n!, ids: row.d!, lo: String(row.lo), hi: String(row.hi), offset };
}

describe('k2 consume: SIGINT after the broker went away', () => {
  it.each([
    ['killed', 'SIGKILL'],
    ['hung', 'SIGSTOP'],
  ] as const)('broker %s: commits what was consumed to Iceberg, logs the group offsets it could not commit, exits 0', async (_how, signal) => {
    const brokerDir = dir('k2-consume-gone-broker-');
    const dataDir = dir('k2-consume-gone-');
    const b = await startBrokerProcess(brokerDir, await freePort());
    brokers.push(b);
    const endpoints = { brokers: [b.bootstrap], registryUrl: b.registryUrl };
    const producer = await RecordProducer.connect(endpoints, { logger: silentLogger });
    await producer.send(TOPIC, 'trades', Array.from({ length: N }, (_, i) => trade({ id: i + 1 })));
    await producer.close();

    // rows stay buffered until stop: nothing is committed before the broker goes away
    const metricsPort = await freePort();
    const child = spawnK2(
      ['--data-dir', dataDir, '--brokers', b.bootstrap, '--json', 'consume', '--registry', b.registryUrl, '--max-delay', '600000', '--max-rows', '1000000', '--metrics-port', String(metricsPort)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let consumed = 0;
    for (let i = 0; i < 1200 && consumed < N; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), () => '');
      consumed = Number(/k2_consumer_records_total\{topic="market\.crypto\.trades\.binance"\} (\d+)/.exec(text)?.[1] ?? 0);
    }
    expect(consumed, stderr).toBe(N);
    expect((await tableState(join(dataDir, 'warehouse'))).rows).toBe('0');

    b.child.kill(signal);
    if (signal === 'SIGKILL') {
      await b.stop();
      // SIGINT once the consumer has noticed (kafkajs is retrying its connection then)
      await waitFor(() => stderr.includes('ECONNREFUSED'), 30_000, 'the consumer to notice the broker is gone');
    }
    // a hung broker is not noticed (requests just wait): SIGINT comes right away
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r(`still running ${EXIT_WAIT_MS / 1000} s after SIGINT`), EXIT_WAIT_MS))]);
    expect(code, stderr).toBe(0);

    const summary = JSON.parse(stdout) as { records_consumed: number; rows_committed: { trades_v2: number } };
    expect(summary.rows_committed.trades_v2).toBe(N);
    expect(await tableState(join(dataDir, 'warehouse'))).toEqual({ rows: String(N), ids: String(N), lo: '1', hi: String(N), offset: BigInt(N) });
    const warned = logEntries(stderr).filter((l) => l.level === 'warn' && String(l.msg).startsWith('group offsets not committed to Kafka'));
    expect(warned.length, stderr).toBeGreaterThanOrEqual(1);
    expect(String(warned[0]!.msg)).toContain("the table's k2.offsets are the source of truth");
  }, 90_000);
});
