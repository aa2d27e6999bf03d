/**
 * Starts "the bus" for a command:
 *
 *   startBus({ globals: GlobalOptions, registryUrl?: string, logger: Logger }): Promise<BusSession>
 *   interface BusSession { endpoints: BusEndpoints; embedded: boolean; close(): Promise<void> }
 *
 * Without --brokers (globals.brokers === null) it starts k2's EmbeddedBroker and
 * schema registry in-process on ephemeral loopback ports, storing data under
 * `<data-dir>/broker/`, and publishes their endpoints in `<data-dir>/broker/broker.lock`.
 * If another live k2 process already serves that data dir (`k2 broker`, or a
 * `k2 stream` with its in-process bus), it connects to that process instead. Otherwise it targets the given brokers and the registry
 * from `registryUrl` / --registry / K2_REGISTRY_URL / http://localhost:8081.
 */
import { join } from 'node:path';
import { readLiveLock } from '../broker/data-dir-lock.js';
import { EmbeddedBroker } from '../broker/embedded-broker.js';
import { SchemaRegistryServer } from '../broker/registry/schema-registry-server.js';
import type { GlobalOptions } from '../config/global-options.js';
import type { Logger } from '../log/logger.js';
import { resolveRegistryUrl, type BusEndpoints } from './endpoints.js';

export interface BusSession {
  endpoints: BusEndpoints;
  /** True when the broker and registry run inside this process. */
  embedded: boolean;
  /**
   * 'in-process': started here; 'k2-broker': another k2 process (e.g. `k2 broker`
   * or `k2 stream`) already serves this data dir and we use its endpoints;
   * 'external': --brokers was given.
   */
  mode: 'in-process' | 'k2-broker' | 'external';
  close(): Promise<void>;
}

export interface StartBusOptions {
  globals: GlobalOptions;
  /** --registry value, if the command has that flag. */
  registryUrl?: string;
  logger: Logger;
  /** Partitions of auto-created topics on the embedded broker; default 1. */
  defaultPartitions?: number;
}

/**
 * The endpoints of a live k2 process (`k2 broker`, or a command's in-process bus)
 * serving `<data-dir>/broker`, or null. Lets a read-only command such as `k2 query`
 * read the bus without starting (and locking) a broker of its own.
 */
export function findRunningBroker(dataDir: string): BusEndpoints | null {
  const running = readLiveLock(join(dataDir, 'broker'));
  if (running === null || running.registry === null || running.pid === process.pid) return null;
  return { brokers: [running.kafka], registryUrl: running.registry };
}

export async function startBus(opts: StartBusOptions): Promise<BusSession> {
  if (opts.globals.brokers !== null) {
    return { endpoints: { brokers: opts.globals.brokers, registryUrl: resolveRegistryUrl(opts.registryUrl) }, embedded: false, mode: 'external', close: async () => undefined };
  }
  const brokerDir = join(opts.globals.dataDir, 'broker');
  const running = readLiveLock(brokerDir);
  if (running && running.registry !== null && running.pid !== process.pid) {
    opts.logger.info('bus: using the k2 broker already serving this data dir', { pid: running.pid, brokers: running.kafka, registry: running.registry });
    return { endpoints: { brokers: [running.kafka], registryUrl: running.registry }, embedded: false, mode: 'k2-broker', close: async () => undefined };
  }
  const logger = opts.logger.child({ component: 'embedded-bus' });
  const broker = await EmbeddedBroker.start({ dataDir: opts.globals.dataDir, host: '127.0.0.1', port: 0, defaultPartitions: opts.defaultPartitions, logger });
  let registry: SchemaRegistryServer;
  try {
    registry = await SchemaRegistryServer.start({ dataDir: opts.globals.dataDir, host: '127.0.0.1', port: 0, logger });
  } catch (err) {
    await broker.close();
    throw err;
  }
  broker.advertiseRegistry(registry.url);
  return {
    endpoints: { brokers: [broker.bootstrap], registryUrl: registry.url },
    embedded: true,
    mode: 'in-process',
    close: async () => {
      await registry.close();
      await broker.close();
    },
  };
}
