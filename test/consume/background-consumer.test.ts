/**
 * The Iceberg consumer on a worker thread: it consumes while records are still being
 * published, forwards commit events, shows its metrics in the main thread's registry,
 * and finishes with every record committed exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { resolveGlobalOptions } from '../../src/config/global-options.js';
import { startBus, RecordProducer, type BusSession } from '../../src/bus/index.js';
import { BackgroundConsumer, type BackgroundConsumerConfig } from '../../src/consume/background-consumer.js';
import type { CommitEvent } from '../../src/consume/iceberg-consumer.js';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { silentLogger } from '../../src/log/logger.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { tempDir } from '../support/tmp.js';
import { trade } from '../support/v2-records.js';

const TRADES = 'market.crypto.trades.binance';

/** A consumer of a bus, with its warehouse in `dataDir`: quick flushes and topic refreshes. */
function consumerConfig(bus: BusSession, dataDir: string): BackgroundConsumerConfig {
  return {
    endpoints: bus.endpoints,
    catalogSpec: undefined,
    warehouse: join(dataDir, 'warehouse'),
    dataDir,
    logLevel: 'silent',
    logJson: false,
    maxDelayMs: 100,
    topicRefreshMs: 100,
  };
}

describe('BackgroundConsumer (worker thread)', () => {
  const dir = tempDir();
  let bus: BusSession;

  beforeAll(async () => {
    bus = await startBus({ globals: resolveGlobalOptions({ dataDir: dir.path }, {}), logger: silentLogger });
  });
  afterAll(async () => {
    await bus.close();
    dir.cleanup();
  });

  it('commits while publishing goes on, mirrors its metrics, and finishes with every record once', async () => {
    const commits: CommitEvent[] = [];
    const consumer = BackgroundConsumer.start(consumerConfig(bus, dir.path), (e) => commits.push(e));
    const registry = createMetricsRegistry();
    await consumer.mirrorMetricsInto(registry);
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
    const trades = Array.from({ length: 3000 }, (_, i) => trade({ id: i + 1, symbol: i % 3 ? 'BTCUSDT' : 'ETHUSDT', price: `${100 + i}.00000001` }));
    await producer.send(TRADES, 'trades', trades.slice(0, 1000));
    await consumer.ready;
    // the worker commits the first part before the rest is published
    const deadline = Date.now() + 60_000;
    while (commits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(commits.length).toBeGreaterThan(0);
    expect(commits[0]!.table).toBe('trades_v2');
    expect(typeof commits[0]!.snapshotId).toBe('bigint');
    const text = await registry.metrics();
    expect(text).toMatch(/k2_iceberg_rows_committed_total\{table="trades_v2"\} [1-9]\d*/);
    expect(text).toMatch(/# TYPE k2_iceberg_commit_duration_seconds histogram/);
    expect(text).toMatch(/k2_iceberg_commit_duration_seconds_bucket\{le="\+Inf",table="trades_v2"\} [1-9]/);

    await producer.send(TRADES, 'trades', trades.slice(1000));
    await producer.send(TRADES, 'trades', trades.slice(0, 10)); // replayed: dropped by the id anti-join
    await producer.close();
    const summary = await consumer.finish();
    expect(summary.records_consumed).toBe(3010);
    expect(summary.rows_committed.trades_v2).toBe(3000);
    expect(summary.duplicates_dropped).toBe(10);
    expect(commits.reduce((n, c) => n + c.rows, 0)).toBe(3000);

    const catalog = openCatalog(undefined, join(dir.path, 'warehouse'));
    const reader = await IcebergTableReader.open(catalog, 'trades_v2');
    await catalog.close();
    expect(reader!.dataFiles().reduce((n, f) => n + f.recordCount, 0n)).toBe(3000n);
    // after the worker is done, scraping still works (no samples, no hang)
    expect(await registry.metrics()).toMatch(/# TYPE k2_iceberg_rows_committed_total counter/);
  }, 120_000);
});

describe('BackgroundConsumer.finishWhileCommitting', () => {
  /** A bus of its own (the consumer reads every market topic of it), a producer, and a consumer config. */
  async function setUp(maxRows: number): Promise<{ producer: RecordProducer; config: BackgroundConsumerConfig; cleanup: () => Promise<void> }> {
    const dir = tempDir();
    const bus = await startBus({ globals: resolveGlobalOptions({ dataDir: dir.path }, {}), logger: silentLogger });
    const producer = await RecordProducer.connect(bus.endpoints, { logger: silentLogger, embedded: true });
    const config: BackgroundConsumerConfig = { ...consumerConfig(bus, dir.path), maxRows };
    return {
      producer,
      config,
      cleanup: async () => {
        await bus.close();
        dir.cleanup();
      },
    };
  }

  it('catches up with a backlog for as long as commits keep coming, far past its stall limit, and commits all of it', async () => {
    const { producer, config, cleanup } = await setUp(400);
    try {
      const trades = Array.from({ length: 30_000 }, (_, i) => trade({ id: i + 1, symbol: 'BTCUSDT', price: `${100 + (i % 500)}.5` }));
      for (let i = 0; i < trades.length; i += 5_000) await producer.send(TRADES, 'trades', trades.slice(i, i + 5_000));
      await producer.close();
      // The stall clock is the test's: each commit moves it on by 90% of the stall limit, so
      // the catch-up lasts many stall limits on that clock whatever this machine's speed,
      // and only the commits in between keep it going.
      const stallMs = 1_000;
      let clock = 0;
      const commits: CommitEvent[] = [];
      const consumer = BackgroundConsumer.start(config, (e) => {
        commits.push(e);
        clock += 900;
      });
      const summary = await consumer.finishWhileCommitting(stallMs, () => clock);
      expect(summary.rows_committed.trades_v2).toBe(30_000);
      expect(commits.length).toBeGreaterThanOrEqual(3);
      expect(clock).toBeGreaterThan(2 * stallMs);
    } finally {
      await cleanup();
    }
  }, 120_000);

  /** A backlog the consumer needs seconds to work through (with commits of at most 2,000 rows). */
  async function publishBacklog(producer: RecordProducer, n: number): Promise<void> {
    for (let i = 0; i < n; i += 10_000) {
      await producer.send(TRADES, 'trades', Array.from({ length: Math.min(10_000, n - i) }, (_, j) => trade({ id: i + j + 1, symbol: 'ETHUSDT' })));
    }
    await producer.close();
  }
  const BACKLOG = 200_000;

  it('stops once the stall limit passes without a commit, committing what it has', async () => {
    const { producer, config, cleanup } = await setUp(2_000);
    try {
      await publishBacklog(producer, BACKLOG);
      const consumer = BackgroundConsumer.start(config);
      await consumer.ready;
      let clock = 0;
      const done = consumer.finishWhileCommitting(1_000, () => clock);
      clock = 5_000; // no commit for five stall limits: it gives up catching up
      const summary = await done;
      // it stopped well before the backlog was through
      expect(summary.rows_committed.trades_v2).toBeLessThan(BACKLOG);
    } finally {
      await cleanup();
    }
  }, 120_000);

  it('hurry(): a finish in progress commits what it has and stops, without waiting for the stall limit', async () => {
    const { producer, config, cleanup } = await setUp(2_000);
    try {
      await publishBacklog(producer, BACKLOG);
      const consumer = BackgroundConsumer.start(config);
      await consumer.ready;
      const done = consumer.finishWhileCommitting(600_000);
      consumer.hurry();
      const summary = await done; // would catch up with the whole backlog otherwise
      expect(summary.rows_committed.trades_v2).toBeLessThan(BACKLOG);
    } finally {
      await cleanup();
    }
  }, 120_000);
});
