/**
 * THE wiring of the demo pipeline: builds the parts from k2's real modules. This
 * is the one file to edit when the pipeline changes; everything else in src/demo
 * only sees the interfaces in parts.ts and types.ts.
 *
 *   stream: the resilient Binance client (src/sources/binance), reconnects and gap
 *           backfill over REST, publishing through
 *   bus:    the embedded broker + schema registry in-process (or --brokers/--registry)
 *   lake:   the exactly-once Iceberg consumer in-process (src/consume) into
 *           market_data.trades_v2 / quotes_v2, bars through src/query (DuckDB)
 *
 * A part that fails to start is reported on screen and in the exit report, and the
 * demo goes on with the parts before it (the tape still runs without the bus).
 */
import type { GlobalOptions } from '../config/global-options.js';
import type { Logger } from '../log/logger.js';
import { errorMessage } from '../model/errors.js';
import { startComposedPipeline } from './composed-pipeline.js';
import type { BusPart, LakePart, PipelineParts } from './parts.js';
import { BinanceStreamPart } from './parts/binance-stream-part.js';
import { startBusPart, type StartedBusPart } from './parts/bus-part.js';
import { startLakePart } from './parts/lake-part.js';
import type { DemoMode, DemoPipeline } from './types.js';

export interface DemoPipelineOptions {
  mode: DemoMode;
  /** Base WebSocket URL (without /stream?...). */
  url: string;
  /** Base REST URL for gap backfill. */
  restUrl: string;
  symbols: readonly string[];
  globals: GlobalOptions;
  /** --registry (with --brokers). */
  registry?: string;
  /** --catalog: "filesystem" (default) or postgres://... */
  catalog?: string;
  logger: Logger;
}

export async function buildPipelineParts(opts: DemoPipelineOptions): Promise<PipelineParts> {
  const missing: PipelineParts['missing'] = {};
  let bus: StartedBusPart | null = null;
  try {
    bus = await startBusPart(opts.globals, opts.registry, opts.logger.child({ component: 'bus' }));
  } catch (err) {
    missing.bus = `the bus did not start: ${errorMessage(err)}`;
    opts.logger.error('bus did not start', { error: errorMessage(err) });
  }
  let lake: LakePart | null = null;
  if (bus === null) missing.lake = 'needs the bus';
  else {
    try {
      lake = await startLakePart({ globals: opts.globals, endpoints: bus.endpoints, catalog: opts.catalog, logger: opts.logger });
    } catch (err) {
      missing.lake = `the Iceberg consumer did not start: ${errorMessage(err)}`;
      opts.logger.error('Iceberg consumer did not start', { error: errorMessage(err) });
    }
  }
  const stream = new BinanceStreamPart({
    symbols: opts.symbols,
    url: opts.url,
    restUrl: opts.restUrl,
    downstream: bus?.sink ?? null,
    logger: opts.logger,
  });
  const busPart: BusPart | null = bus;
  return { stream, bus: busPart, lake, missing };
}

export async function startDemoPipeline(opts: DemoPipelineOptions): Promise<DemoPipeline> {
  const parts = await buildPipelineParts(opts);
  return startComposedPipeline({ mode: opts.mode, symbols: opts.symbols, dataDir: opts.globals.dataDir, parts, logger: opts.logger });
}
