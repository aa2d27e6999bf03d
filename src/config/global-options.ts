/**
 * Global options shared by every command, validated with zod. Each value comes
 * from its flag, else its environment variable, else the default; a bad value is
 * reported with the flag or variable it came from and what was expected.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../model/errors.js';
import { LOG_LEVELS, type LogLevel } from '../log/logger.js';

export interface GlobalOptions {
  /** Absolute path of the data directory (Iceberg warehouse, embedded broker, dead letters). */
  dataDir: string;
  /** Kafka bootstrap brokers; null means start the embedded broker in-process. */
  brokers: string[] | null;
  logLevel: LogLevel;
  json: boolean;
}

export interface RawGlobalOptions {
  dataDir?: string;
  brokers?: string;
  logLevel?: string;
  json?: boolean;
}

const brokerList = z
  .string()
  .trim()
  .min(1)
  .transform((s) => s.split(',').map((b) => b.trim()).filter((b) => b.length > 0))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9_.-]+:\d{1,5}$/, 'host:port')).min(1));

/** Parses one value with a schema; on failure names its source and what it expected. */
export function parseSetting<T>(schema: z.ZodType<T>, value: unknown, source: string, expected: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new ConfigError(`invalid ${source}: ${JSON.stringify(value)}; expected ${expected}`, { source });
  }
  return r.data;
}

export function resolveGlobalOptions(raw: RawGlobalOptions, env: NodeJS.ProcessEnv = process.env): GlobalOptions {
  const dataDirSource = raw.dataDir !== undefined ? '--data-dir' : env.K2_DATA_DIR !== undefined ? 'K2_DATA_DIR' : 'default';
  const dataDir = parseSetting(
    z.string().trim().min(1),
    raw.dataDir ?? env.K2_DATA_DIR ?? './k2-data',
    dataDirSource,
    'a directory path',
  );
  const brokersRaw = raw.brokers ?? env.K2_BROKERS;
  const brokersSource = raw.brokers !== undefined ? '--brokers' : 'K2_BROKERS';
  const brokers =
    brokersRaw === undefined || brokersRaw.trim() === ''
      ? null
      : parseSetting(brokerList, brokersRaw, brokersSource, 'a comma-separated list of host:port');
  const logLevel = parseSetting(
    z.enum(LOG_LEVELS),
    raw.logLevel ?? env.K2_LOG_LEVEL ?? 'info',
    raw.logLevel !== undefined ? '--log-level' : 'K2_LOG_LEVEL',
    `one of ${LOG_LEVELS.join(', ')}`,
  );
  return { dataDir: resolve(dataDir), brokers, logLevel, json: raw.json ?? false };
}
