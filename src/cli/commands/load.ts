/**
 * `k2 load asx <files...> [--reference file] [--symbol SYM] [--side-quotes auto|inputs|none] [--dry-run] [--json]`
 *
 * Converts ASX CSV files (raw headerless trades/quotes, or header CSVs) to v2
 * records. With --dry-run it validates and converts only, and prints the summary.
 * Otherwise it publishes trades to market.equities.trades.asx and quotes to
 * market.equities.quotes.asx through the bus, then runs the after-publish step
 * (the in-process Iceberg consumer in embedded mode), then prints the summary.
 * Rejected rows go to <data-dir>/dead-letter/asx-*.jsonl in both modes.
 * Without --brokers the bus is k2's embedded broker and registry, in this process.
 */
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import type { GlobalOptions } from '../../config/global-options.js';
import { parseSetting } from '../../config/global-options.js';
import type { Logger } from '../../log/logger.js';
import { BusAdmin, explainBorrowedBusError, RecordProducer, startBus, type BusSession, type SealedRecords } from '../../bus/index.js';
import { LOAD_BUS_OWNER } from '../../bus/bus-session.js';
import { topicName } from '../../model/topics.js';
import {
  DeadLetterFile,
  planAsxLoad,
  runAsxLoad,
  type AsxLoadResult,
  type AsxRecordSink,
  type SideQuotesMode,
} from '../../sources/asx/index.js';
import { isTradeFormat } from '../../sources/asx/file-format.js';
import { commandContext } from '../context.js';
import { onShutdownSignal } from '../shutdown.js';
import { addCatalogOption, addRegistryOption, embeddedConsumerConfig } from '../shared-options.js';
import { BackgroundConsumer } from '../../consume/background-consumer.js';
import type { ConsumeSummary } from '../../consume/iceberg-consumer.js';
import { ConsumeError } from '../../consume/errors.js';
import { errorMessage, InterruptedError, K2Error } from '../../model/errors.js';
import { formatTable, toJson, type Row } from '../output.js';
import { checkConfiguredCatalog } from '../../iceberg/catalog/open-catalog.js';

/** Files over this size get a progress bar on a TTY. */
const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
/** Loads of this many rows get a bar for the Iceberg commits after publishing, on a TTY. */
const COMMIT_PROGRESS_MIN_ROWS = 50_000;

interface LoadAsxFlags {
  reference?: string;
  symbol?: string;
  sideQuotes: SideQuotesMode;
  registry?: string;
  dryRun?: boolean;
  json?: boolean;
  batchSize: string;
  catalog?: string;
  consume: boolean;
}

/** A publishing session: where records go, and how it ends. */
export interface AsxPublishSession {
  sink: AsxRecordSink;
  /** The bus the records went to (still running until close()). */
  bus: BusSession;
  /** Waits for every send to be acknowledged and disconnects the producer. */
  finishPublishing(): Promise<void>;
  /**
   * Embedded mode: the Iceberg consumer that runs on a worker thread while the
   * load publishes (null with --brokers or --no-consume).
   */
  consumer: BackgroundConsumer | null;
  /** Rows the consumer has committed so far (0 without one). */
  committedRows(): number;
  /** Stops the consumer (if still running) and the bus (the embedded broker and registry, if any). */
  close(): Promise<void>;
  /** SIGINT/SIGTERM: later sends fail with `err`, and the consumer stops (committing what it has). */
  interrupt?(err: Error): void;
}

/** What an interrupted load leaves behind. */
function interruptedError(signal: 'SIGINT' | 'SIGTERM', session: AsxPublishSession): InterruptedError {
  const next = session.bus.mode === 'external' ? 'a `k2 consume` commits them' : 'the next `k2 load asx` or `k2 consume --once` on this data dir commits them';
  return new InterruptedError(
    signal,
    `the load stopped before it finished; the records published so far stay in the topics and ${next}; loading the files again is safe (rows already in the table are skipped)`,
  );
}

/** Where the in-process consumer commits, and whether it runs at all. */
export interface PublisherOptions {
  registryUrl: string | undefined;
  /** --catalog value, if given */
  catalog: string | undefined;
  /** false with --no-consume */
  consume: boolean;
}

/** What the after-publish step gets: the load's result and the bus, still running. */
export interface AfterPublishContext {
  globals: GlobalOptions;
  logger: Logger;
  session: AsxPublishSession;
  result: AsxLoadResult;
  /** The topics written to, e.g. market.equities.trades.asx. */
  topics: string[];
}

/**
 * The seams of `k2 load asx`. `openPublisher` starts the bus and a producer (and, in
 * embedded mode, the Iceberg consumer on a worker thread, consuming while the load
 * publishes); `afterPublish` runs once every record is acknowledged, while the bus is
 * still up: it waits until the consumer has committed everything, so that after
 * `k2 load asx` the rows are in the table.
 */
export interface LoadAsxHooks {
  openPublisher(globals: GlobalOptions, logger: Logger, opts: PublisherOptions): Promise<AsxPublishSession>;
  afterPublish(ctx: AfterPublishContext): Promise<void>;
}

export const ASX_TRADES_TOPIC = topicName('equities', 'trades', 'asx');
export const ASX_QUOTES_TOPIC = topicName('equities', 'quotes', 'asx');

export const loadAsxHooks: LoadAsxHooks = {
  openPublisher: openBusPublisher,
  afterPublish: consumeIntoIceberg,
};

/** What the in-process consumer committed, reported with the load summary. */
let icebergResult: ConsumeSummary | null = null;
/** The k2 process whose bus the load used, when another one served it (its consumers share the work). */
let sharedBusWith: string | null = null;

/**
 * In embedded mode the load runs the Iceberg consumer on a worker thread from the
 * start; once everything is published it consumes until caught up with the topics
 * and commits, so that after `k2 load asx` the rows are in the tables. With
 * --brokers a separate `k2 consume` does that job.
 */
async function consumeIntoIceberg(ctx: AfterPublishContext): Promise<void> {
  const consumer = ctx.session.consumer;
  if (consumer === null) return;
  const total = ctx.result.summary.rowsValid;
  ctx.logger.info('published; the Iceberg consumer is committing the rest', { committed: ctx.session.committedRows(), records: total });
  const bar = total >= COMMIT_PROGRESS_MIN_ROWS ? progressBar(total, 'committing to Iceberg |{bar}| {value}/{total} rows') : null;
  const tick = bar === null ? null : setInterval(() => bar.update(Math.min(total, ctx.session.committedRows())), 200);
  sharedBusWith = ctx.session.bus.host?.describe ?? null;
  try {
    icebergResult = await consumer.finish();
    bar?.update(total);
  } catch (err) {
    const gone = hostGoneError(ctx.session.bus, err, total);
    if (gone !== err) throw gone;
    // Nothing accepted is lost: the records are in the topics, and a later consume commits them exactly once.
    throw new ConsumeError(
      `${errorMessage(err)}; the ${ctx.result.summary.rowsValid} records are published to ${ctx.topics.join(', ')}: run \`k2 consume --once\` to commit them`,
      { topics: ctx.topics.join(',') },
      { cause: err },
    );
  } finally {
    if (tick !== null) clearInterval(tick);
    bar?.stop();
  }
  ctx.logger.info('committed to Iceberg', { trades_v2: icebergResult.rows_committed.trades_v2, quotes_v2: icebergResult.rows_committed.quotes_v2 });
}

/** Rows per Iceberg commit while loading (flushes are double-buffered; the last one is the tail after publishing ends). */
const LOAD_MAX_ROWS = 100_000;
const LOAD_MAX_DELAY_MS = 2_000;

/**
 * An error of the bus while it is served by another k2 process that has exited since: says so,
 * and that loading again is safe, instead of a bare connection error.
 */
function hostGoneError(bus: BusSession, err: unknown, published: number): unknown {
  if (bus.host === undefined || bus.host.alive()) return err;
  return new K2Error(
    'BUS',
    `the k2 process that served this data dir's bus (${bus.host.describe}) exited during the load, after ${published} records were published: ` +
      'load the files again (rows already in the table are skipped)',
    { pid: bus.host.pid },
    { cause: err },
  );
}

/** A failure of the bus while publishing: hostGoneError, or one naming the serving process that does not answer. */
function busFailure(bus: BusSession, err: unknown, published: number): unknown {
  const gone = hostGoneError(bus, err, published);
  return gone !== err ? gone : explainBorrowedBusError(bus, err);
}

async function openBusPublisher(globals: GlobalOptions, logger: Logger, opts: PublisherOptions): Promise<AsxPublishSession> {
  // Another load's bus goes away when that load ends: wait for it, then serve the bus here.
  const bus = await startBus({ globals, logger, registryUrl: opts.registryUrl, owner: LOAD_BUS_OWNER });
  let producer: RecordProducer;
  let consumer: BackgroundConsumer | null = null;
  let committed = 0;
  try {
    producer = await RecordProducer.connect(bus.endpoints, { logger, embedded: bus.embedded, clientId: 'k2-load-asx' });
    // The data dir's own bus: started here, or served by another k2 process (`k2 broker`, a
    // stream, another load). Either way the rows must be in the table when the load returns,
    // so the load runs the consumer then too (it joins the group of any consumer running there).
    const dataDirBus = bus.mode !== 'external';
    // topics and schemas up front: the consumer joins at once instead of waiting for the
    // first produce to create them, and the first batch does not wait for the registry
    if (dataDirBus) {
      const admin = await BusAdmin.connect(bus.endpoints, logger);
      await admin.createTopics([{ topic: ASX_TRADES_TOPIC }, { topic: ASX_QUOTES_TOPIC }]).finally(() => admin.close());
    }
    await Promise.all([producer.prepare(ASX_TRADES_TOPIC, 'trades'), producer.prepare(ASX_QUOTES_TOPIC, 'quotes')]);
    if (dataDirBus && opts.consume) {
      consumer = BackgroundConsumer.start(
        embeddedConsumerConfig(globals, bus.endpoints, opts.catalog, { maxRows: LOAD_MAX_ROWS, maxDelayMs: LOAD_MAX_DELAY_MS, topicRefreshMs: 200 }),
        (event) => (committed += event.rows),
      );
    }
  } catch (err) {
    await bus.close();
    throw busFailure(bus, err, 0);
  }
  let published = 0;
  let stopped: Error | null = null;
  let producerOpen = true;
  const finishPublishing = async (): Promise<void> => {
    if (!producerOpen) return;
    producerOpen = false;
    await producer.close();
  };
  return {
    bus,
    consumer,
    committedRows: () => committed,
    sink: {
      send: async (kind, records) => {
        if (stopped !== null) throw stopped;
        const failed = consumer?.error;
        if (failed) throw busFailure(bus, failed, published);
        try {
          published += (await producer.send(kind === 'trades' ? ASX_TRADES_TOPIC : ASX_QUOTES_TOPIC, kind, records)).records;
        } catch (err) {
          throw busFailure(bus, err, published);
        }
      },
      // each converted chunk is encoded at once (the schemas are registered above), so only
      // wire messages wait while a batch fills
      seal: (kind, records) => producer.seal(kind === 'trades' ? ASX_TRADES_TOPIC : ASX_QUOTES_TOPIC, kind, records),
      sendSealed: async (kind, chunks) => {
        if (stopped !== null) throw stopped;
        const failed = consumer?.error;
        if (failed) throw busFailure(bus, failed, published);
        try {
          published += (await producer.sendSealed(kind === 'trades' ? ASX_TRADES_TOPIC : ASX_QUOTES_TOPIC, kind, chunks as SealedRecords[])).records;
        } catch (err) {
          throw busFailure(bus, err, published);
        }
      },
    },
    finishPublishing,
    interrupt: (err) => {
      stopped = err;
      // ends a finish() in progress: the consumer commits what it has buffered and stops
      if (consumer !== null) void consumer.stop().catch(() => undefined);
    },
    close: async () => {
      try {
        await finishPublishing();
        // After a failed load, commit what the consumer has (exactly once either way).
        if (consumer !== null) await consumer.stop().catch((err: unknown) => logger.warn('stopping the Iceberg consumer failed', { error: (err as Error).message }));
      } finally {
        await bus.close();
      }
    },
  };
}

export function registerLoad(program: Command): void {
  // exitOverride: usage errors (e.g. a bad --side-quotes) reach main() and exit 2, not process.exit(1)
  const load = program.command('load').description('Load historical market data').exitOverride();
  const asx = load
    .command('asx')
    .exitOverride()
    .description(
      'Load ASX trades and quotes from CSV: raw headerless trades/{company_id}.csv and quotes/{company_id}.csv, or header CSVs (symbol,exchange_timestamp,...)',
    )
    .argument('<files...>', 'CSV files to load')
    .option('--reference <file>', 'company_info.csv mapping company ids to symbols (default: reference-data/company_info.csv beside the data)')
    .option('--symbol <SYM>', 'symbol for the raw files (one company only), instead of reference data')
    .addOption(
      new Option('--side-quotes <mode>', 'quotes used to infer trade sides (Lee-Ready): auto = loaded quote files plus sibling quotes/{id}.csv, inputs = loaded quote files only, none = tick test only')
        .choices(['auto', 'inputs', 'none'])
        .default('auto'),
    )
    .option('--dry-run', 'validate and convert only; publish nothing')
    .option('--json', 'print the summary as JSON')
    .option('--batch-size <n>', 'records per publish batch', '20000')
    .option('--no-consume', 'embedded mode: publish only, do not commit the rows to Iceberg in this process')
    .action(async (files: string[], flags: LoadAsxFlags, cmd: Command) => {
      await loadAsx(files, flags, cmd);
    });
  addRegistryOption(asx);
  addCatalogOption(asx);
}

async function loadAsx(files: string[], flags: LoadAsxFlags, cmd: Command): Promise<void> {
  const { globals, logger } = commandContext(cmd);
  const json = flags.json === true || globals.json;
  const batchSize = parseSetting(z.coerce.number().int().min(1).max(1_000_000), flags.batchSize, '--batch-size', 'an integer from 1 to 1000000');
  checkConfiguredCatalog(flags.catalog); // opened later by the consumer worker: check it now, before publishing
  const plan = planAsxLoad(files, { reference: flags.reference, symbol: flags.symbol, sideQuotes: flags.sideQuotes });
  for (const f of plan.inputs) logger.debug('input', { file: f.path, format: f.format, symbol: f.identity?.symbol, bytes: f.bytes });

  const session = flags.dryRun === true ? null : await loadAsxHooks.openPublisher(globals, logger, { registryUrl: flags.registry, catalog: flags.catalog, consume: flags.consume });
  // Interrupted while publishing or committing: stop publishing, let the consumer commit what it
  // has, close, and say what that leaves behind (a second signal exits at once).
  let interrupted: 'SIGINT' | 'SIGTERM' | null = null;
  const offSignal =
    session === null
      ? null
      : onShutdownSignal((signal) => {
          interrupted = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
          logger.warn('interrupted: stopping the load, committing what the consumer has', { signal });
          session.interrupt?.(interruptedError(interrupted, session));
        });
  let result: AsxLoadResult;
  try {
    const deadLetter = new DeadLetterFile(globals.dataDir);
    const bar = plan.totalBytes >= PROGRESS_MIN_BYTES ? progressBar(plan.totalBytes, 'loading ASX |{bar}| {percentage}% {value}/{total} bytes ETA {eta}s') : null;
    try {
      result = await runAsxLoad(plan, {
        sink: session?.sink ?? null,
        batchSize,
        deadLetter,
        sideQuotes: flags.sideQuotes,
        logger,
        onProgress: bar === null ? undefined : (done) => bar.update(done),
      });
    } finally {
      bar?.stop();
    }
    if (session !== null) {
      await session.finishPublishing();
      const topics = [...new Set(plan.inputs.map((i) => (isTradeFormat(i.format) ? ASX_TRADES_TOPIC : ASX_QUOTES_TOPIC)))];
      logger.info('published', { topics: topics.join(','), records: result.summary.rowsValid, embedded: session.bus.embedded });
      await loadAsxHooks.afterPublish({ globals, logger, session, result, topics });
    }
    if (interrupted !== null && session !== null) throw interruptedError(interrupted, session);
  } catch (err) {
    // whatever failed once the signal stopped the sends and the consumer, the signal is the story
    if (interrupted !== null && session !== null) throw interruptedError(interrupted, session);
    throw err;
  } finally {
    offSignal?.();
    if (session !== null) await session.close();
  }

  const summary = result.summary.toJSON();
  if (result.deadLetterPath !== null) {
    logger.warn('rows rejected', { rejected: summary.rows_rejected, dead_letter: result.deadLetterPath });
  }
  logger.info('trade sides', result.sideMethods);
  const iceberg =
    icebergResult === null
      ? undefined
      : {
          trades_v2: icebergResult.rows_committed.trades_v2,
          quotes_v2: icebergResult.rows_committed.quotes_v2,
          duplicates_dropped: icebergResult.duplicates_dropped,
          ...(sharedBusWith !== null ? { shared_bus_with: sharedBusWith } : {}),
        };
  if (json) {
    process.stdout.write(`${toJson(iceberg === undefined ? summary : { ...summary, iceberg })}\n`);
    return;
  }
  const rows: Row[] = Object.entries(summary.by_symbol).map(([symbol, s]) => ({ symbol, ...s }));
  process.stdout.write(formatTable(rows, ['symbol', 'trades', 'quotes', 'first_ts', 'last_ts', 'sum_quantity', 'sum_notional']));
  process.stdout.write(
    `\n${summary.files} file(s): ${summary.rows_read} rows read, ${summary.rows_valid} valid, ${summary.rows_rejected} rejected` +
      `${result.deadLetterPath !== null ? ` (see ${result.deadLetterPath})` : ''}${flags.dryRun === true ? '; dry run, nothing published' : ''}\n`,
  );
  if (iceberg !== undefined) {
    process.stdout.write(
      `committed to Iceberg: market_data.trades_v2 +${iceberg.trades_v2} rows, market_data.quotes_v2 +${iceberg.quotes_v2} rows` +
        `${iceberg.duplicates_dropped > 0 ? ` (${iceberg.duplicates_dropped} already in the table, skipped)` : ''}\n` +
        (sharedBusWith !== null
          ? `every published row is in the tables; the bus is served by ${sharedBusWith}, whose consumer may have committed some of them (counted there)\n`
          : '') +
        `try: k2 query --symbol ${Object.keys(summary.by_symbol)[0] ?? 'BHP'} --limit 10\n`,
    );
  }
}

/** A progress bar on stderr when it is a terminal; null otherwise. */
function progressBar(total: number, format: string): cliProgress.SingleBar | null {
  if (!process.stderr.isTTY) return null;
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}
