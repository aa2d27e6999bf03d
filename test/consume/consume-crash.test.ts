/**
 * Crash test: a child `k2 consume` is killed with SIGKILL at random moments while
 * records stream in, 20 times. Afterwards the table holds exactly the produced set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { SchemaRegistryServer } from '../../src/broker/registry/schema-registry-server.js';
import { BusAdmin, RecordProducer, type BusEndpoints } from '../../src/bus/index.js';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { silentLogger } from '../../src/log/logger.js';
import { runK2, spawnK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { trade } from '../support/v2-records.js';

const TOPIC = 'market.crypto.trades.binance';
/** upper bound of what the producer sends while the consumers are being killed */
const MAX_RECORDS = 200_000;
const CYCLES = Number(process.env.K2_CRASH_CYCLES ?? 20);

function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('exactly once under SIGKILL', () => {
  const dir = tempDir();
  const brokerDir = tempDir();
  let broker: EmbeddedBroker;
  let registry: SchemaRegistryServer;
  let endpoints: BusEndpoints;

  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ dataDir: brokerDir.path, port: 0, defaultPartitions: 2, logger: silentLogger });
    registry = await SchemaRegistryServer.start({ dataDir: brokerDir.path, host: '127.0.0.1', port: 0, logger: silentLogger });
    endpoints = { brokers: [broker.bootstrap], registryUrl: registry.url };
    const admin = await BusAdmin.connect(endpoints, silentLogger);
    await admin.createTopics([{ topic: TOPIC, partitions: 2 }]);
    await admin.close();
  });
  afterAll(async () => {
    await registry.close();
    await broker.close();
    dir.cleanup();
    brokerDir.cleanup();
  });

  it(`${CYCLES} SIGKILLs mid-stream: zero lost, zero duplicated`, async () => {
    const rand = seededRandom(42);
    const producer = await RecordProducer.connect(endpoints, { logger: silentLogger, embedded: true });
    const symbols = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];
    let produced = 0;
    let stopProducing = false;
    // Records stream in for the whole test, so every consumer has work when it is killed.
    const producing = (async () => {
      while (!stopProducing && produced < MAX_RECORDS) {
        const batch = Array.from({ length: 100 }, (_, i) => {
          const id = produced + i + 1;
          return trade({ id, symbol: symbols[id % 3]!, price: `${60000 + (id % 997)}.${String(id % 100000000).padStart(8, '0')}` });
        });
        await producer.send(TOPIC, 'trades', batch);
        produced += batch.length;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const args = ['--data-dir', dir.path, '--brokers', endpoints.brokers[0]!, '--log-level', 'error', 'consume', '--registry', endpoints.registryUrl, '--max-delay', '100', '--max-rows', '400'];
    let kills = 0;
    let advanced = 0;
    let lastSnapshots = 0;
    const debugArgs = args.map((a) => (a === 'error' ? 'debug' : a));
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // A fresh group per cycle: the new consumer need not wait out the killed member's
      // session timeout. Correctness never depends on the group: offsets live in the table.
      const child = spawnK2([...debugArgs, '--group', `crash-${cycle}`], { stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      // Most kills land at a random moment after the consumer's first commit (while it
      // commits every 100 ms); every fifth lands at a random moment during start-up.
      const ready = new Promise<void>((resolve) => {
        let seen = '';
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
          seen = (seen + d).slice(-8000);
          if (/DEBUG committed .*table=trades_v2/.test(seen)) resolve();
        });
      });
      if (cycle % 5 === 4) await new Promise((r) => setTimeout(r, rand() * 2000));
      else {
        await Promise.race([ready, exited, new Promise((r) => setTimeout(r, 20_000))]);
        await new Promise((r) => setTimeout(r, rand() * 1000));
      }
      if (child.kill('SIGKILL')) kills++;
      await exited;
      const catalog = openCatalog(undefined, join(dir.path, 'warehouse'));
      const n = (await IcebergTableReader.open(catalog, 'trades_v2'))?.snapshots().length ?? 0;
      await catalog.close();
      if (n > lastSnapshots) advanced++;
      if (process.env.K2_CRASH_DEBUG) console.log(`cycle ${cycle}: snapshots ${n} at ${new Date().toISOString()}`);
      lastSnapshots = n;
    }
    stopProducing = true;
    await producing;
    await producer.close();
    const TOTAL = produced;
    expect(kills).toBe(CYCLES);

    const final = await runK2([...args, '--group', 'crash-final', '--once']);
    expect(final.code, final.stderr).toBe(0);

    const catalog = openCatalog(undefined, join(dir.path, 'warehouse'));
    const reader = await IcebergTableReader.open(catalog, 'trades_v2');
    const files = reader!.dataFiles();
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const res = await conn.runAndReadAll(
      `SELECT count(*)::BIGINT AS n, count(DISTINCT trade_id)::BIGINT AS d, min(source_sequence) AS lo, max(source_sequence) AS hi FROM read_parquet([${files.map((f) => `'${f.path}'`).join(',')}])`,
    );
    const row = res.getRowObjectsJson()[0] as Record<string, string>;
    conn.closeSync();
    db.closeSync();
    await catalog.close();
    expect({ n: row.n, d: row.d, lo: row.lo, hi: row.hi }).toEqual({ n: String(TOTAL), d: String(TOTAL), lo: '1', hi: String(TOTAL) });
    // the killed consumers really committed along the way (the kills interrupted real work)
    expect(advanced).toBeGreaterThanOrEqual(CYCLES / 2);
  }, 240_000);
});
