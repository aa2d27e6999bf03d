/**
 * `k2 serve [--host 127.0.0.1] [--port 8080] [--catalog <spec>] [--registry <url>] [--no-fresh] [--fresh-timeout ms]`
 *
 * The HTTP JSON API and Prometheus metrics over the Iceberg tables (plus fresh rows
 * from the bus with --brokers). Binds to 127.0.0.1 unless --host says otherwise.
 * With K2_API_KEY set, /v1/* requires it in the X-API-Key header.
 * Runs until SIGINT or SIGTERM, then stops within SERVE_SHUTDOWN_DEADLINE_MS (see stop()).
 */
import type { FastifyInstance } from 'fastify';
import { Command, InvalidArgumentError } from 'commander';
import { buildApiServer } from '../../api/api-server.js';
import { createApiMetrics } from '../../api/api-metrics.js';
import type { Logger } from '../../log/logger.js';
import { errorMessage } from '../../model/errors.js';
import { openQueryService, type OpenedQueryService } from '../../query/open-query-service.js';
import { settleWithin } from '../../resilience/deadline.js';
import { commandContext } from '../context.js';
import { addFreshTimeoutOption } from '../shared-options.js';
import { onShutdownSignal } from '../shutdown.js';

/** Concurrent requests within this window share one metadata load and one bus tail read. */
export const SERVE_REUSE_MS = 250;

/** After SIGINT/SIGTERM, requests in flight have this long before their bus tail reads are given up. */
export const SERVE_SHUTDOWN_GRACE_MS = 2_000;
/** From the signal: connections of requests still running after this long are closed. */
export const SERVE_SHUTDOWN_CLOSE_MS = 5_000;
/** From the signal: the process exits 0 at this point, whatever is still running. */
export const SERVE_SHUTDOWN_DEADLINE_MS = 8_000;
/** Why fresh reads in flight at shutdown were given up, as their scans report it. */
export const SERVE_SHUTDOWN_REASON = 'k2 serve is shutting down';

interface ServeFlags {
  host: string;
  port: number;
  catalog?: string;
  registry?: string;
  fresh: boolean;
  freshTimeout: number;
  freshMaxRecords: number;
}

function port(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('port must be an integer from 0 to 65535');
  return Number(v);
}

/**
 * Shutdown: no new connections (and 503 for requests on kept-alive ones); requests in
 * flight get SERVE_SHUTDOWN_GRACE_MS, then their bus tail reads are given up (a broker
 * that does not answer would hold them for kafkajs's timeouts), so they answer with the
 * committed rows and `freshUnavailable: "not read (k2 serve is shutting down: ...)"`.
 * Connections still open at SERVE_SHUTDOWN_CLOSE_MS are closed, and the process exits 0
 * by SERVE_SHUTDOWN_DEADLINE_MS in every case.
 */
async function stop(app: FastifyInstance, opened: OpenedQueryService, logger: Logger, signal: NodeJS.Signals): Promise<void> {
  const deadline = setTimeout(() => {
    process.stderr.write(`k2 serve: shutdown did not finish within ${SERVE_SHUTDOWN_DEADLINE_MS / 1000} s; exiting\n`);
    process.exit(0);
  }, SERVE_SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  logger.info('k2 serve stopping: no new requests', { signal, grace_ms: SERVE_SHUTDOWN_GRACE_MS });
  const closed = app.close().catch((err: unknown) => logger.warn('closing the HTTP server failed', { error: errorMessage(err) }));
  if (!(await settleWithin(closed, SERVE_SHUTDOWN_GRACE_MS))) {
    const reads = opened.tail?.abort?.(SERVE_SHUTDOWN_REASON) ?? 0;
    logger.warn('k2 serve stopping: requests still running after the grace period; aborted their fresh reads', { reads, reason: SERVE_SHUTDOWN_REASON });
    if (!(await settleWithin(closed, SERVE_SHUTDOWN_CLOSE_MS - SERVE_SHUTDOWN_GRACE_MS))) {
      logger.warn('k2 serve stopping: closing the connections of requests still running');
      app.server.closeAllConnections();
      await closed;
    }
  }
  await opened.close();
  // A read past its deadline (or aborted) may still wait on kafkajs, which cannot cancel a request:
  // its socket and timers would keep the process alive until kafkajs's own timeout.
  const pending = opened.tail?.pendingReads?.() ?? 0;
  logger.info('k2 serve stopped', pending > 0 ? { bus_reads_left: pending } : {});
  if (pending > 0) process.exit(0);
}

export function registerServe(program: Command): void {
  addFreshTimeoutOption(
    program
      .command('serve')
      .description('REST API and Prometheus metrics over the Iceberg tables (API key: env K2_API_KEY)')
      .option('--host <addr>', 'interface to bind', '127.0.0.1')
      .option('--port <n>', 'TCP port (0 = any free port)', port, 8080)
      .option('--catalog <spec>', 'Iceberg catalog: "filesystem" (default) or postgres://... (env K2_CATALOG)')
      .option('--registry <url>', 'schema registry URL for fresh rows (env K2_REGISTRY_URL)')
      .option('--no-fresh', 'serve committed Iceberg rows only, not the uncommitted bus tail'),
  )
    .action(async (flags: ServeFlags, cmd: Command) => {
      const { globals, logger } = commandContext(cmd);
      const metrics = createApiMetrics();
      const opened = openQueryService({
        globals,
        logger,
        catalog: flags.catalog,
        registry: flags.registry,
        fresh: flags.fresh,
        tailReuseMs: SERVE_REUSE_MS,
        tailTimeoutMs: flags.freshTimeout,
        tailMaxRecords: flags.freshMaxRecords,
        metadataMaxAgeMs: SERVE_REUSE_MS,
        onPlan: (p) => metrics.observePlan(p),
      });
      const apiKey = process.env.K2_API_KEY !== undefined && process.env.K2_API_KEY !== '' ? process.env.K2_API_KEY : null;
      const app = await buildApiServer({ service: opened.service, metrics, apiKey, logger });
      const address = await app.listen({ host: flags.host, port: flags.port });
      logger.info('k2 serve listening', { url: address, catalog: opened.files.describe(), apiKey: apiKey !== null, fresh: opened.tail !== null });
      process.stdout.write(`k2 serve: listening on ${address}${apiKey !== null ? ' (X-API-Key required)' : ''}\n`);
      // a second signal exits at once (130)
      const signal = await new Promise<NodeJS.Signals>((resolve) => onShutdownSignal(resolve));
      await stop(app, opened, logger, signal);
    });
}
