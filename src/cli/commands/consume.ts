/**
 * `k2 consume [--once] [--max-rows N] [--max-delay ms] [--group id] [--catalog spec] [--registry url] [--metrics-port p]`
 * Consumes the market.* trades and quotes topics into the Iceberg tables, exactly once.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError, errorMessage } from '../../model/errors.js';
import { parseSetting } from '../../config/global-options.js';
import { explainBorrowedBusError, startBus } from '../../bus/index.js';
import { DEFAULT_GROUP_ID, IcebergConsumer } from '../../consume/iceberg-consumer.js';
import { createMetricsRegistry } from '../../metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../../metrics/metrics-server.js';
import { commandContext } from '../context.js';
import { addCatalogOption, addRegistryOption, catalogFromOptions } from '../shared-options.js';
import { formatRows, toJson } from '../output.js';
import { onShutdownSignal } from '../shutdown.js';

/**
 * SIGINT/SIGTERM must end the process within this time. The consumer's stop() commits what
 * is buffered to Iceberg and bounds every wait on the broker (a broker that went away made
 * kafkajs hold the exit for 13-20 s); this is the backstop.
 */
const SHUTDOWN_DEADLINE_MS = 10_000;

/** From a stop signal on: exit 1 with a message if the shutdown is still running at the deadline. */
function armShutdownDeadline(): { at: number; timer: NodeJS.Timeout } {
  const timer = setTimeout(() => {
    process.stderr.write(`k2: shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting\n`);
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  timer.unref();
  return { at: Date.now(), timer };
}

/**
 * Once the command is done, nothing should keep the process alive; but after the broker went
 * away, kafkajs may still be retrying requests we stopped waiting for (up to ~20 s). This exits
 * (with the exit code set by then) shortly after, within the shutdown deadline; the timer is
 * unref'd, so a clean exit comes first.
 */
function exitByDeadline(shutdownAt: number): void {
  const left = shutdownAt + SHUTDOWN_DEADLINE_MS - Date.now();
  setTimeout(() => process.exit(), Math.max(0, Math.min(200, left - 250))).unref();
}

interface ConsumeFlags {
  once?: boolean;
  maxRows: string;
  maxDelay: string;
  group: string;
  catalog?: string;
  registry?: string;
  metricsPort?: string;
}

export function registerConsume(program: Command): void {
  const cmd = program
    .command('consume')
    .description('Consume market.* topics into the Iceberg tables market_data.trades_v2 and quotes_v2, exactly once')
    .option('--once', 'consume until caught up with the topics, commit, and exit')
    .option('--max-rows <n>', 'flush a table at this many buffered rows', '100000')
    .option('--max-delay <ms>', 'flush a table when its oldest buffered row is this old (ms)', '1000')
    .option('--group <id>', 'Kafka consumer group id', DEFAULT_GROUP_ID)
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port');
  addCatalogOption(cmd);
  addRegistryOption(cmd);
  cmd.action(async (flags: ConsumeFlags, command: Command) => {
    const { globals, logger } = commandContext(command);
    const maxRows = parseSetting(z.coerce.number().int().min(1), flags.maxRows, '--max-rows', 'a positive integer');
    const maxDelayMs = parseSetting(z.coerce.number().int().min(10), flags.maxDelay, '--max-delay', 'milliseconds >= 10');
    const metricsPort =
      flags.metricsPort === undefined ? undefined : parseSetting(z.coerce.number().int().min(0).max(65535), flags.metricsPort, '--metrics-port', 'a TCP port');
    const catalog = catalogFromOptions(globals, flags.catalog);
    const metricsRegistry = createMetricsRegistry({ defaultMetrics: true });
    // the metrics port first: a busy port is a usage error, reported before anything else starts
    let metricsServer: MetricsServer | null = null;
    if (metricsPort !== undefined) {
      try {
        metricsServer = await startMetricsServer(metricsRegistry, metricsPort);
      } catch (err) {
        await catalog.close();
        throw new ConfigError(`cannot serve metrics on --metrics-port ${metricsPort}: ${errorMessage(err)}`, { source: '--metrics-port' });
      }
    }
    let shutdown: { at: number; timer: NodeJS.Timeout } | null = null;
    const bus = await startBus({ globals, registryUrl: flags.registry, logger }).catch(async (err: unknown) => {
      await metricsServer?.close();
      await catalog.close();
      throw err;
    });
    try {
      const consumer = await IcebergConsumer.start({
        endpoints: bus.endpoints,
        catalog,
        dataDir: globals.dataDir,
        logger,
        metricsRegistry,
        groupId: flags.group,
        maxRows,
        maxDelayMs,
      });
      let summary;
      if (flags.once) {
        try {
          await consumer.runUntilCaughtUp();
        } finally {
          summary = await consumer.stop();
        }
      } else {
        consumer.watchTopics();
        logger.info('k2 consume running; Ctrl-C to flush, commit and stop');
        await new Promise<void>((resolve, reject) => {
          const health = setInterval(() => {
            try {
              consumer.checkHealthy();
            } catch (err) {
              clearInterval(health);
              reject(err);
            }
          }, 500);
          onShutdownSignal(() => {
            shutdown = armShutdownDeadline();
            clearInterval(health);
            resolve();
          });
        }).finally(async () => {
          summary = await consumer.stop();
        });
      }
      if (summary !== undefined) {
        if (globals.json) process.stdout.write(`${toJson(summary)}\n`);
        else {
          const rows = [
            { table: 'market_data.trades_v2', rows_committed: summary.rows_committed.trades_v2 },
            { table: 'market_data.quotes_v2', rows_committed: summary.rows_committed.quotes_v2 },
          ];
          process.stdout.write(formatRows(rows, 'table'));
          process.stdout.write(
            `records consumed ${summary.records_consumed}, commits ${summary.commits}, duplicates dropped ${summary.duplicates_dropped}, dead letters ${summary.dead_letters}${summary.dead_letter_file ? ` (${summary.dead_letter_file})` : ''}\n`,
          );
        }
      }
    } catch (err) {
      // on a bus borrowed from another k2 process: say which process did not answer or exited
      throw explainBorrowedBusError(bus, err);
    } finally {
      await metricsServer?.close();
      await bus.close();
      await catalog.close();
      const s = shutdown as { at: number; timer: NodeJS.Timeout } | null;
      if (s !== null) {
        clearTimeout(s.timer);
        exitByDeadline(s.at);
      }
    }
  });
}
