/**
 * `k2 broker [--port 9092] [--registry-port 8081] [--partitions N] [--host <addr>] [--advertised-host <name>] [--no-fsync]`
 *
 * Runs k2's embedded Kafka-protocol broker and schema registry in the foreground,
 * storing data under `<data-dir>/broker/`, until SIGINT or SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander';
import { EmbeddedBroker } from '../../broker/embedded-broker.js';
import { SchemaRegistryServer } from '../../broker/registry/schema-registry-server.js';
import { commandContext } from '../context.js';

function intIn(min: number, max: number, what: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}`);
    return Number(v);
  };
}

interface BrokerFlags {
  port: number;
  registryPort: number;
  partitions: number;
  host: string;
  advertisedHost?: string;
  fsync: boolean;
}

export function registerBroker(program: Command): void {
  program
    .command('broker')
    .description('Run the embedded Kafka-protocol broker and schema registry (data under <data-dir>/broker)')
    .option('--port <port>', 'Kafka listener port (0 = any free port)', intIn(0, 65535, '--port'), 9092)
    .option('--registry-port <port>', 'schema registry HTTP port (0 = any free port)', intIn(0, 65535, '--registry-port'), 8081)
    .option('--partitions <n>', 'partitions of auto-created topics', intIn(1, 1024, '--partitions'), 1)
    .option('--host <addr>', 'interface to listen on (0.0.0.0 for all)', '127.0.0.1')
    .option('--advertised-host <name>', 'host name clients should connect to (default: --host, or this machine name for 0.0.0.0)')
    .option('--no-fsync', 'do not fdatasync before acknowledging acks=all produces (faster; survives a process crash, not a power loss)')
    .action(async (flags: BrokerFlags, cmd: Command) => {
      const { globals, logger } = commandContext(cmd);
      const broker = await EmbeddedBroker.start({
        dataDir: globals.dataDir,
        host: flags.host,
        advertisedHost: flags.advertisedHost,
        port: flags.port,
        defaultPartitions: flags.partitions,
        fsyncOnAcksAll: flags.fsync,
        owner: 'k2 broker',
        logger,
      });
      let registry: SchemaRegistryServer;
      try {
        registry = await SchemaRegistryServer.start({ dataDir: globals.dataDir, host: flags.host, port: flags.registryPort, logger });
      } catch (err) {
        await broker.close();
        throw err;
      }
      broker.advertiseRegistry(registry.url);
      const info = { brokers: broker.bootstrap, registry: registry.url, dataDir: `${globals.dataDir}/broker`, partitions: flags.partitions, fsync: flags.fsync };
      process.stdout.write(
        globals.json
          ? `${JSON.stringify(info)}\n`
          : `k2 broker ready: kafka ${info.brokers}  registry ${info.registry}  data ${info.dataDir}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      logger.info('broker: shutting down');
      await registry.close();
      await broker.close();
    });
}
