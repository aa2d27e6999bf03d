/**
 * The Iceberg consumer on a worker thread: it consumes while records are still being
 * published, forwards commit events, shows its metrics in the main thread's registry,
 * and finishes with every record committed exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { resolveGlobalOptions } from '../../src/config/global-options.js';
import { startBus, RecordProducer, type BusSession } from '../../src/bus/index.js';
import { BackgroundConsumer } from '../../src/consume/background-consumer.js';
import type { CommitEvent } from '../../src/consume/iceberg-consumer.js';
import { openCatalog } from '../../src/iceberg/catalog/open-catalog.js';
import { IcebergTableReader } from '../../src/iceberg/table-reader.js';
import { silentLogger } from '../../src/log/logger.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { tempDir } from '../support/tmp.js';
import { trade } from '../support/v2-records.js';

const TRADES = 'market.crypto.trades.binance';

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
    const consumer = BackgroundConsumer.start(
      {
        endpoints: bus.endpoints,
        catalogSpec: undefined,
        warehouse: join(dir.path, 'warehouse'),
        dataDir: dir.path,
        logLevel: 'silent',
        logJson: false,
        maxDelayMs: 100,
        topicRefreshMs: 100,
      },
      (e) => commits.push(e),
    );
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
