/**
 * The k2 command tree. Each subcommand lives in src/cli/commands/<name>.ts and
 * registers itself; this file wires the global options and loads only the module
 * of the subcommand being run, so `k2 --help` and every command start fast
 * (DuckDB, kafkajs, ink and fastify are imported only by the commands that use them).
 */
import { Command, Option } from 'commander';
import { LOG_LEVELS } from '../log/logger.js';

export const K2_VERSION = '0.1.0';

type Register = (program: Command) => void;

interface CommandEntry {
  name: string;
  description: string;
  load: () => Promise<Register>;
}

const COMMANDS: CommandEntry[] = [
  { name: 'stream', description: 'Capture live market data: stream binance --symbols BTCUSDT,ETHUSDT', load: async () => (await import('./commands/stream.js')).registerStream },
  { name: 'load', description: 'Load historical market data: load asx <files...>', load: async () => (await import('./commands/load.js')).registerLoad },
  { name: 'consume', description: 'Consume market.* topics into the Iceberg tables, exactly once', load: async () => (await import('./commands/consume.js')).registerConsume },
  { name: 'query', description: 'Query trades, quotes, summaries, bars, symbols, snapshots and SQL', load: async () => (await import('./commands/query.js')).registerQuery },
  { name: 'serve', description: 'REST API and Prometheus metrics over the Iceberg tables', load: async () => (await import('./commands/serve.js')).registerServe },
  { name: 'broker', description: 'Run the embedded Kafka-protocol broker and schema registry', load: async () => (await import('./commands/broker.js')).registerBroker },
  { name: 'demo', description: 'Live terminal demo of the whole pipeline', load: async () => (await import('./commands/demo.js')).registerDemo },
  { name: 'compact', description: 'Compact small Iceberg data files and expire old snapshots', load: async () => (await import('./commands/compact.js')).registerCompact },
];

/** Global options that take a value, so the subcommand name can be found without parsing. */
const GLOBAL_VALUE_OPTIONS = new Set(['--data-dir', '--brokers', '--log-level']);

/** The subcommand named in argv (after node and the script), if any. */
export function invokedCommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (GLOBAL_VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    if (a === 'help') return args.slice(i + 1).find((x) => !x.startsWith('-')) ?? 'help';
    return a;
  }
  return undefined;
}

export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command('k2')
    .description('k2: a market-data lakehouse. Capture crypto and equity trades into Kafka and Apache Iceberg, and query them with DuckDB.')
    .version(K2_VERSION)
    .option('--data-dir <dir>', 'data directory: Iceberg warehouse, embedded broker, dead letters (env K2_DATA_DIR, default ./k2-data)')
    .option('--brokers <list>', 'Kafka bootstrap brokers host:port[,...]; absent means the embedded broker (env K2_BROKERS)')
    .addOption(new Option('--log-level <level>', 'log level (env K2_LOG_LEVEL, default info)').choices([...LOG_LEVELS]))
    .option('--json', 'machine-readable output: JSON results and JSON log lines')
    .showHelpAfterError(true)
    // Inherited by every subcommand created below: usage errors reach main() (exit 2).
    .exitOverride();

  const invoked = invokedCommand(argv.slice(2));
  for (const entry of COMMANDS) {
    if (entry.name === invoked) (await entry.load())(program);
    else program.command(entry.name).description(entry.description);
  }
  return program;
}
