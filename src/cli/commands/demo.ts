/**
 * `k2 demo`: the whole pipeline in one process with a live terminal dashboard.
 * Offline (always on CI) it replays the bundled synthetic sample session through a
 * local WebSocket server and says so.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { parseSetting } from '../../config/global-options.js';
import { ConfigError } from '../../model/errors.js';
import { runDemo } from '../../demo/run-demo.js';
import { commandContext } from '../context.js';
import { addCatalogOption, addRegistryOption } from '../shared-options.js';

export const DEFAULT_DEMO_SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];

interface DemoFlags {
  symbols: string;
  duration?: string;
  replay?: boolean;
  url?: string;
  restUrl?: string;
  session?: string;
  summaryEvery: string;
  probeTimeout: string;
  catalog?: string;
  registry?: string;
}

const symbolList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim().toUpperCase()).filter((x) => x.length > 0))
  .pipe(z.array(z.string().regex(/^[A-Z0-9]{2,20}$/)).min(1).max(20));
const positiveSeconds = z.coerce.number().positive().max(31 * 86_400);
const wsUrl = z.string().regex(/^wss?:\/\/[^\s]+$/);
const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/);

export function registerDemo(program: Command): void {
  const demo = program
    .command('demo')
    .description('Live terminal demo of the whole pipeline: stream, bus, consumer, Iceberg commits and queries, in one process')
    .option('--symbols <list>', 'comma-separated Binance symbols', DEFAULT_DEMO_SYMBOLS.join(','))
    .option('--duration <s>', 'stop cleanly after this many seconds (default: run until q or Ctrl-C)')
    .option('--replay', 'do not probe live Binance; replay the bundled synthetic sample session')
    .option('--url <ws-url>', 'stream from this WebSocket base URL (combined-stream path /stream?streams=...) instead of Binance')
    .option('--rest-url <url>', 'REST base URL for gap backfill (default: derived from --url, or Binance data-api)')
    .option('--session <file>', 'replay this session file instead of the bundled sample (fixtures/demo format)')
    .addOption(new Option('--summary-every <s>', 'non-TTY: seconds between plain summaries').default('5'))
    .addOption(new Option('--probe-timeout <ms>', 'how long to wait for live Binance before replaying').default('3000'));
  addCatalogOption(demo);
  addRegistryOption(demo);
  demo.action(async (flags: DemoFlags, cmd: Command) => {
      const { globals } = commandContext(cmd);
      const raw = cmd.parent?.opts<{ dataDir?: string }>() ?? {};
      const symbols = parseSetting(symbolList, flags.symbols, '--symbols', 'a comma-separated list of symbols like BTCUSDT,ETHUSDT');
      const durationSec = flags.duration === undefined ? null : parseSetting(positiveSeconds, flags.duration, '--duration', 'a positive number of seconds');
      const url = flags.url === undefined ? null : parseSetting(wsUrl, flags.url, '--url', 'a ws:// or wss:// URL');
      const restUrl = flags.restUrl === undefined ? null : parseSetting(httpUrl, flags.restUrl, '--rest-url', 'an http:// or https:// URL');
      const summaryEverySec = parseSetting(positiveSeconds, flags.summaryEvery, '--summary-every', 'a positive number of seconds');
      const probeTimeoutMs = parseSetting(z.coerce.number().int().min(100).max(60_000), flags.probeTimeout, '--probe-timeout', 'milliseconds between 100 and 60000');
      if (flags.replay === true && url !== null) {
        throw new ConfigError('--replay and --url exclude each other', { flag: '--url' });
      }
      await runDemo({
        symbols,
        durationSec,
        replay: flags.replay === true,
        url,
        restUrl,
        sessionFile: flags.session ?? null,
        globals,
        dataDirFlag: raw.dataDir ?? process.env.K2_DATA_DIR ?? null,
        // npx (and npm exec) set npm_command=exec: after `npm install`, k2 is not on PATH
        invokedAs: process.env.npm_command === 'exec' ? 'npx k2' : 'k2',
        registry: flags.registry,
        catalog: flags.catalog,
        interactive: process.stdout.isTTY === true && process.stdin.isTTY === true,
        summaryEverySec,
        probeTimeoutMs,
        out: process.stdout,
      });
    });
}
