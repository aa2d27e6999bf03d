/**
 * Options several commands share: where the Iceberg catalog and the schema
 * registry are. Each reads its flag, else its environment variable.
 */
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { FRESH_MAX_RECORDS, FRESH_TIMEOUT_MS } from '../query/tail-source.js';
import type { GlobalOptions } from '../config/global-options.js';
import type { BusEndpoints } from '../bus/endpoints.js';
import type { BackgroundConsumerConfig } from '../consume/background-consumer-protocol.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import { openConfiguredCatalog } from '../iceberg/catalog/open-catalog.js';

/** `--fresh-timeout <ms>` and `--fresh-max-records <n>` of the commands that read fresh rows from the bus (serve, query). */
export function addFreshTimeoutOption(cmd: Command): Command {
  return cmd
    .option('--fresh-timeout <ms>', 'deadline of one read of fresh rows from the bus; past it a query answers with committed rows', milliseconds, FRESH_TIMEOUT_MS)
    .option('--fresh-max-records <n>', 'read fresh rows only when a topic holds at most this many not yet committed; else committed rows only', positiveCount, FRESH_MAX_RECORDS);
}

function positiveCount(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
}

function milliseconds(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 2_147_483_647) throw new InvalidArgumentError('must be a positive integer (milliseconds)');
  return Number(v);
}

export function addCatalogOption(cmd: Command): Command {
  return cmd.option('--catalog <spec>', 'Iceberg catalog: "filesystem" (default, under <data-dir>/warehouse) or postgres://user@host:port/db (env K2_CATALOG)');
}

export function addRegistryOption(cmd: Command): Command {
  return cmd.option('--registry <url>', 'schema registry URL when --brokers is set (env K2_REGISTRY_URL, default http://localhost:8081)');
}

export function warehouseDir(globals: GlobalOptions): string {
  return join(globals.dataDir, 'warehouse');
}

/** Opens the catalog named by --catalog, else K2_CATALOG, else the filesystem catalog in the data dir. */
export function catalogFromOptions(globals: GlobalOptions, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Catalog {
  return openConfiguredCatalog(flag, warehouseDir(globals), env);
}

/**
 * Where an embedded-mode command's background Iceberg consumer commits and logs: the
 * command's catalog (--catalog, else K2_CATALOG, else the data dir's warehouse), data
 * dir and log settings; `tuning` adds the command's flush sizes.
 */
export function embeddedConsumerConfig(
  globals: GlobalOptions,
  endpoints: BusEndpoints,
  catalogFlag: string | undefined,
  tuning: Pick<BackgroundConsumerConfig, 'maxRows' | 'maxDelayMs' | 'topicRefreshMs'> = {},
  env: NodeJS.ProcessEnv = process.env,
): BackgroundConsumerConfig {
  return {
    endpoints,
    catalogSpec: catalogFlag ?? env.K2_CATALOG,
    warehouse: warehouseDir(globals),
    dataDir: globals.dataDir,
    logLevel: globals.logLevel,
    logJson: globals.json,
    ...tuning,
  };
}
