/**
 * The worker-thread side of BackgroundConsumer: runs an IcebergConsumer with its
 * own kafkajs client, catalog and DuckDB, and reports commits and the final
 * summary to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openCatalog } from '../iceberg/catalog/open-catalog.js';
import { createLogger } from '../log/logger.js';
import { K2Error } from '../model/errors.js';
import type { MetricJson } from '../metrics/metrics-mirror.js';
import { createMetricsRegistry } from '../metrics/registry.js';
import type { BackgroundConsumerConfig, FromWorker, ToWorker } from './background-consumer-protocol.js';
import { IcebergConsumer, type ConsumeSummary } from './iceberg-consumer.js';

const port = parentPort;
if (port === null) throw new Error('background-consumer-worker must run in a worker thread');
const cfg = workerData as BackgroundConsumerConfig;
const post = (m: FromWorker): void => port.postMessage(m);
/** How long a stop waits for an interrupted catch-up to return before it goes ahead anyway. */
const CATCH_UP_EXIT_MS = 2_000;

function failed(err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  // a K2Error's context (the file, table, topic...) goes along: only the message crosses the thread
  post({ type: 'failed', name: e.name, message: e instanceof K2Error ? e.describe() : e.message, stack: e.stack });
}

async function main(): Promise<void> {
  const logger = createLogger({ level: cfg.logLevel, json: cfg.logJson });
  const registry = createMetricsRegistry();
  const catalog = openCatalog(cfg.catalogSpec, cfg.warehouse);
  let consumer: IcebergConsumer;
  try {
    consumer = await IcebergConsumer.start({
      endpoints: cfg.endpoints,
      catalog,
      dataDir: cfg.dataDir,
      logger,
      groupId: cfg.groupId,
      maxRows: cfg.maxRows,
      maxDelayMs: cfg.maxDelayMs,
      topicRefreshMs: cfg.topicRefreshMs,
      metricsRegistry: registry,
      onCommit: (event) => post({ type: 'commit', event }),
    });
  } catch (err) {
    await catalog.close().catch(() => undefined);
    throw err;
  }
  consumer.watchTopics();
  post({ type: 'started' });
  let ending: Promise<void> | null = null;
  let interrupt!: () => void;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  const end = (finish: boolean): Promise<void> =>
    (async () => {
      let summary: ConsumeSummary;
      try {
        if (finish) {
          // A stop during the catch-up interrupts it: the catch-up returns after the flush or
          // wait under way, and stop() follows it, never running beside it (a flush racing the
          // writers' close). If it does not return within CATCH_UP_EXIT_MS (stuck on a hung
          // broker), stop() goes ahead: its own waits on the broker are bounded.
          const catchUp = consumer.runUntilCaughtUp();
          await Promise.race([catchUp, interrupted.then(() => new Promise((r) => setTimeout(r, CATCH_UP_EXIT_MS).unref()))]);
        }
        summary = await consumer.stop();
      } finally {
        await catalog.close().catch(() => undefined);
      }
      post({ type: 'done', summary });
    })();
  port!.on('message', (m: ToWorker) => {
    if (m.type === 'metrics') {
      registry
        .getMetricsAsJSON()
        .then((metrics) => post({ type: 'metrics', id: m.id, metrics: metrics as MetricJson[] }))
        .catch(() => post({ type: 'metrics', id: m.id, metrics: [] }));
      return;
    }
    if (ending === null) {
      ending = end(m.type === 'finish');
      ending.catch(failed);
    } else if (m.type === 'stop') {
      // cut a finish short: commit what is buffered now
      consumer.interruptCatchUp();
      interrupt();
    }
  });
}

main().catch(failed);
