/** @jsxRuntime automatic */
/** @jsxImportSource react */
/**
 * `k2 demo` end to end: decide live or replay (probing Binance briefly unless
 * told), start the replay server when needed, start the pipeline, show the ink
 * dashboard on a TTY or periodic plain summaries otherwise, stop cleanly on
 * --duration, q, SIGINT or SIGTERM, and print what was captured.
 */
import { mkdirSync, appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { render } from 'ink';
import type { GlobalOptions } from '../config/global-options.js';
import { createLogger } from '../log/logger.js';
import { ConfigError } from '../model/errors.js';
import { nowMicros } from '../model/time.js';
import { MarketView } from './model/market-view.js';
import { formatCaptureReport, formatPlainSummary } from './plain-summary.js';
import { startDemoPipeline } from './pipeline.js';
import { DEFAULT_LIVE_REST_URL, DEFAULT_LIVE_URL, probeWebSocket } from './probe.js';
import { startReplayServer, type ReplayServer } from './replay/replay-server.js';
import { DEFAULT_SAMPLE_SESSION_PATH, loadSession } from './sample/session-file.js';
import type { Micros } from '../model/trade.js';
import type { CaptureSummary, DemoMode, DemoPipeline } from './types.js';
import { DemoApp } from './ui/DemoApp.js';

export interface DemoRunOptions {
  symbols: string[];
  /** Seconds to run; null runs until q / Ctrl-C. */
  durationSec: number | null;
  /** Skip the live probe and replay the sample session. */
  replay: boolean;
  /** A WebSocket base URL to stream from instead of Binance (no probe, no replay). */
  url: string | null;
  restUrl: string | null;
  sessionFile: string | null;
  globals: GlobalOptions;
  /** The --data-dir value to repeat in the query hints; null when it is the default. */
  dataDirFlag: string | null;
  /** How the hints call k2: `npx k2` when the demo was started through npx (k2 is then not on PATH), else `k2`. */
  invokedAs?: string;
  /** --registry (with --brokers) and --catalog, passed to the bus and the Iceberg consumer. */
  registry?: string;
  catalog?: string;
  interactive: boolean;
  summaryEverySec: number;
  probeTimeoutMs: number;
  out: NodeJS.WritableStream;
}

interface Source {
  mode: DemoMode;
  url: string;
  restUrl: string;
  notice: string;
  label: string;
  replay: ReplayServer | null;
}

async function chooseSource(opts: DemoRunOptions, say: (line: string) => void): Promise<Source> {
  if (opts.url !== null) {
    const restUrl = opts.restUrl ?? opts.url.replace(/^ws/, 'http');
    return { mode: 'live', url: opts.url, restUrl, notice: `streaming from ${opts.url}`, label: `LIVE ${opts.url}`, replay: null };
  }
  let why = 'replay requested with --replay';
  if (!opts.replay) {
    say(`k2 demo: probing live Binance (${DEFAULT_LIVE_URL}) ...`);
    const probe = await probeWebSocket(`${DEFAULT_LIVE_URL}/stream?streams=btcusdt@trade`, opts.probeTimeoutMs);
    if (probe.reachable) {
      const restUrl = opts.restUrl ?? DEFAULT_LIVE_REST_URL;
      return { mode: 'live', url: DEFAULT_LIVE_URL, restUrl, notice: `live Binance ${DEFAULT_LIVE_URL}`, label: `LIVE Binance ${DEFAULT_LIVE_URL}`, replay: null };
    }
    why = `live Binance is unreachable (${probe.reason})`;
  }
  const file = opts.sessionFile ?? DEFAULT_SAMPLE_SESSION_PATH;
  const session = loadSession(file);
  const missing = opts.symbols.filter((s) => !session.header.symbols.includes(s));
  if (missing.length > 0) {
    throw new ConfigError(
      `the sample session has no ${missing.join(', ')}; it holds ${session.header.symbols.join(', ')} (use --url for another feed)`,
      { flag: '--symbols' },
    );
  }
  const replay = await startReplayServer({ session });
  const shown = relative(process.cwd(), file) || file;
  const notice = `${why}: replaying the bundled SYNTHETIC sample session through ${replay.wsUrl}`;
  say(`k2 demo: ${notice} (${shown}; ${session.header.trades} trades, ${session.header.duration_ms / 60_000} min, looping).`);
  return { mode: 'replay', url: replay.wsUrl, restUrl: replay.restUrl, notice, label: `REPLAY of the synthetic sample session via ${replay.wsUrl}`, replay };
}

export async function runDemo(opts: DemoRunOptions): Promise<CaptureSummary> {
  const write = (s: string): void => void opts.out.write(s);
  const { dataDir, logLevel } = opts.globals;
  mkdirSync(dataDir, { recursive: true });
  // On a TTY the dashboard owns the screen, so log lines go to a file instead.
  const logFile = join(dataDir, 'logs', 'demo.log');
  if (opts.interactive) mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const logger = opts.interactive
    ? createLogger({ level: logLevel, write: (line) => appendFileSync(logFile, `${line}\n`) })
    : createLogger({ level: logLevel });

  const source = await chooseSource(opts, (line) => write(`${line}\n`));
  const startedAt = nowMicros();
  const pipeline = await startDemoPipeline({
    mode: source.mode,
    url: source.url,
    restUrl: source.restUrl,
    symbols: opts.symbols,
    globals: opts.globals,
    registry: opts.registry,
    catalog: opts.catalog,
    logger,
  }).catch(async (err: unknown) => {
    await source.replay?.close();
    throw err;
  });
  const view = new MarketView(opts.symbols);
  pipeline.onEvent((e) => view.ingest(e));

  let finish!: (reason: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const onSignal = (sig: NodeJS.Signals): void => finish(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const durationTimer = opts.durationSec !== null ? setTimeout(() => finish('duration'), opts.durationSec * 1000) : null;
  let cleanupUi: () => Promise<void> = async () => undefined;
  let reason = 'error';
  let summary: CaptureSummary;
  try {
    cleanupUi = startUi(opts, source, view, pipeline, startedAt, finish, write);
    reason = await finished;
  } finally {
    if (durationTimer !== null) clearTimeout(durationTimer);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanupUi().catch(() => undefined);
    logger.info('demo stopping', { reason });
    summary = await pipeline.stop().finally(() => source.replay?.close());
  }
  write(formatCaptureReport(summary, { sourceLabel: source.label, dataDirFlag: opts.dataDirFlag, invokedAs: opts.invokedAs }));
  return summary;
}

/** Shows the dashboard (TTY) or starts the periodic plain summaries; returns how to take it down. */
function startUi(
  opts: DemoRunOptions,
  source: Source,
  view: MarketView,
  pipeline: DemoPipeline,
  startedAt: Micros,
  finish: (reason: string) => void,
  write: (s: string) => void,
): () => Promise<void> {
  if (opts.interactive) {
    const app = render(
      <DemoApp
        mode={source.mode}
        notice={source.notice}
        symbols={opts.symbols}
        view={view}
        health={() => pipeline.health()}
        bars={(s) => pipeline.bars(s)}
        onQuit={() => finish('quit')}
        startedAt={startedAt}
      />,
      { exitOnCtrlC: false, patchConsole: true },
    );
    return async () => {
      app.unmount();
      await app.waitUntilExit().catch(() => undefined);
    };
  }
  const label = source.mode === 'replay' ? 'REPLAY' : 'LIVE';
  const summarize = (): void => {
    const now = nowMicros();
    write(formatPlainSummary({ label, uptimeMs: Number(now - startedAt) / 1000, market: view.snapshot(now), health: pipeline.health(), now }));
  };
  const timer = setInterval(summarize, opts.summaryEverySec * 1000);
  return async () => {
    clearInterval(timer);
    summarize();
  };
}
