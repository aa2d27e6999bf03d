/**
 * `k2 serve [--host 127.0.0.1] [--port 8080] [--catalog <spec>] [--registry <url>] [--no-fresh]`
 *
 * The HTTP JSON API and Prometheus metrics over the Iceberg tables (plus fresh rows
 * from the bus with --brokers). Binds to 127.0.0.1 unless --host says otherwise.
 * With K2_API_KEY set, /v1/* requires it in the X-API-Key header.
 * Runs until SIGINT or SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander';
import { buildApiServer } from '../../api/api-server.js';
import { createApiMetrics } from '../../api/api-metrics.js';
import { openQueryService } from '../../query/open-query-service.js';
import { commandContext } from '../context.js';

/** Concurrent requests within this window share one metadata load and one bus tail read. */
export const SERVE_REUSE_MS = 250;

interface ServeFlags {
  host: string;
  port: number;
  catalog?: string;
  registry?: string;
  fresh: boolean;
}

function port(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('port must be an integer from 0 to 65535');
  return Number(v);
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('REST API and Prometheus metrics over the Iceberg tables (API key: env K2_API_KEY)')
    .option('--host <addr>', 'interface to bind', '127.0.0.1')
    .option('--port <n>', 'TCP port (0 = any free port)', port, 8080)
    .option('--catalog <spec>', 'Iceberg catalog: "filesystem" (default) or postgres://... (env K2_CATALOG)')
    .option('--registry <url>', 'schema registry URL for fresh rows (env K2_REGISTRY_URL)')
    .option('--no-fresh', 'serve committed Iceberg rows only, not the uncommitted bus tail')
    .action(async (flags: ServeFlags, cmd: Command) => {
      const { globals, logger } = commandContext(cmd);
      const metrics = createApiMetrics();
      const opened = openQueryService({ globals, logger, catalog: flags.catalog, registry: flags.registry, fresh: flags.fresh, tailReuseMs: SERVE_REUSE_MS, metadataMaxAgeMs: SERVE_REUSE_MS, onPlan: (p) => metrics.observePlan(p) });
      const apiKey = process.env.K2_API_KEY !== undefined && process.env.K2_API_KEY !== '' ? process.env.K2_API_KEY : null;
      const app = await buildApiServer({ service: opened.service, metrics, apiKey, logger });
      const address = await app.listen({ host: flags.host, port: flags.port });
      logger.info('k2 serve listening', { url: address, catalog: opened.files.describe(), apiKey: apiKey !== null, fresh: opened.tail !== null });
      process.stdout.write(`k2 serve: listening on ${address}${apiKey !== null ? ' (X-API-Key required)' : ''}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await app.close();
      await opened.close();
    });
}
