/**
 * What the main thread and a background consumer worker say to each other
 * (structured-clone data only). See background-consumer.ts.
 */
import type { BusEndpoints } from '../bus/index.js';
import type { LogLevel } from '../log/logger.js';
import type { MetricJson } from '../metrics/metrics-mirror.js';
import type { CommitEvent, ConsumeSummary } from './iceberg-consumer.js';

export interface BackgroundConsumerConfig {
  endpoints: BusEndpoints;
  /** --catalog / K2_CATALOG value; undefined means the filesystem catalog in `warehouse` */
  catalogSpec: string | undefined;
  warehouse: string;
  dataDir: string;
  logLevel: LogLevel;
  logJson: boolean;
  groupId?: string;
  maxRows?: number;
  maxDelayMs?: number;
  topicRefreshMs?: number;
}

/** finish: consume until caught up, commit, stop. stop: commit what is buffered and stop (also cuts a finish short). */
export type ToWorker = { type: 'finish' } | { type: 'stop' } | { type: 'metrics'; id: number };

export type FromWorker =
  | { type: 'started' }
  | { type: 'commit'; event: CommitEvent }
  | { type: 'done'; summary: ConsumeSummary }
  | { type: 'metrics'; id: number; metrics: MetricJson[] }
  | { type: 'failed'; name: string; message: string; stack?: string };
