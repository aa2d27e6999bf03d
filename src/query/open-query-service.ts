/**
 * Wires a QueryService for a command: the Iceberg catalog under the data dir (or
 * --catalog / K2_CATALOG), and, when a Kafka cluster is configured (--brokers), the
 * bus tail for fresh rows.
 *
 * Fresh reads need a broker this process can reach: --brokers, or the embedded
 * broker of a running k2 process on the same data dir (`k2 stream`, `k2 demo`,
 * `k2 broker`), found through its lock file at each query, so a `k2 serve` started
 * first sees a stream started later. Otherwise queries read the committed tables
 * only; see docs/query.md.
 */
import { join } from 'node:path';
import { resolveRegistryUrl } from '../bus/endpoints.js';
import type { GlobalOptions } from '../config/global-options.js';
import { openConfiguredCatalog } from '../iceberg/catalog/open-catalog.js';
import type { Logger } from '../log/logger.js';
import { BusTailSource } from './bus-tail-source.js';
import { DataDirBusTailSource } from './data-dir-bus-tail-source.js';
import { IcebergDataFileSource } from './iceberg-data-file-source.js';
import type { PlanReport } from './query-result.js';
import { QueryService } from './query-service.js';
import type { TailSource } from './tail-source.js';

export interface OpenQueryServiceOptions {
  globals: GlobalOptions;
  logger: Logger;
  /** --catalog: "filesystem" (default) or a postgres:// URL. */
  catalog?: string;
  /** --registry: schema registry URL for decoding fresh rows. */
  registry?: string;
  /** false turns fresh (uncommitted) reads off. */
  fresh: boolean;
  onPlan?: (plan: PlanReport) => void;
  /** Reuse a bus tail read for this long (ms); see BusTailSource. */
  tailReuseMs?: number;
  /** Deadline of one bus tail read (ms); see BusTailSource. */
  tailTimeoutMs?: number;
  /** See BusTailSourceOptions.maxRecords. */
  tailMaxRecords?: number;
  /** Reuse loaded table metadata for this long (ms); see IcebergDataFileSource. */
  metadataMaxAgeMs?: number;
}

export interface OpenedQueryService {
  service: QueryService;
  files: IcebergDataFileSource;
  tail: TailSource | null;
  close(): Promise<void>;
}

export function openQueryService(o: OpenQueryServiceOptions): OpenedQueryService {
  const catalog = openConfiguredCatalog(o.catalog, join(o.globals.dataDir, 'warehouse'));
  const files = new IcebergDataFileSource(catalog, { metadataMaxAgeMs: o.metadataMaxAgeMs });
  let tail: TailSource | null = null;
  if (o.fresh && o.globals.brokers !== null) {
    tail = new BusTailSource({ endpoints: { brokers: o.globals.brokers, registryUrl: resolveRegistryUrl(o.registry) }, logger: o.logger, reuseMs: o.tailReuseMs, timeoutMs: o.tailTimeoutMs, maxRecords: o.tailMaxRecords });
  } else if (o.fresh) {
    // the embedded broker of whichever k2 process serves the data dir at query time
    tail = new DataDirBusTailSource({ dataDir: o.globals.dataDir, logger: o.logger, reuseMs: o.tailReuseMs, timeoutMs: o.tailTimeoutMs, maxRecords: o.tailMaxRecords });
  }
  const service = new QueryService({ files, tail, onPlan: o.onPlan });
  return {
    service,
    files,
    tail,
    close: async () => {
      await service.close();
      await files.close();
    },
  };
}
