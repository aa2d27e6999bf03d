/**
 * The k2 command tree. Each subcommand lives in src/cli/commands/<name>.ts and
 * registers itself here; this file only wires global options and the list.
 */
import { Command, Option } from 'commander';
import { LOG_LEVELS } from '../log/logger.js';
import { registerBroker } from './commands/broker.js';
import { registerConsume } from './commands/consume.js';
import { registerDemo } from './commands/demo.js';
import { registerLoad } from './commands/load.js';
import { registerQuery } from './commands/query.js';
import { registerServe } from './commands/serve.js';
import { registerStream } from './commands/stream.js';
import { registerCompact } from './commands/compact.js';

export const K2_VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('k2')
    .description('k2: a market-data lakehouse. Capture crypto and equity trades into Kafka and Apache Iceberg, and query them with DuckDB.')
    .version(K2_VERSION)
    .option('--data-dir <dir>', 'data directory: Iceberg warehouse, embedded broker, dead letters (env K2_DATA_DIR)', undefined)
    .option('--brokers <list>', 'Kafka bootstrap brokers host:port[,...]; absent means the embedded broker (env K2_BROKERS)')
    .addOption(new Option('--log-level <level>', 'log level (env K2_LOG_LEVEL)').choices([...LOG_LEVELS]))
    .option('--json', 'machine-readable output: JSON results and JSON log lines')
    .showHelpAfterError(true)
    // Inherited by every subcommand created below: usage errors reach main() (exit 2).
    .exitOverride();

  for (const register of [
    registerStream,
    registerLoad,
    registerConsume,
    registerQuery,
    registerServe,
    registerBroker,
    registerDemo,
    registerCompact,
  ]) {
    register(program);
  }
  return program;
}
