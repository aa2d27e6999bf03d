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
 * `k2 stream` with its in-process bus), it connects to that process instead, unless
 * that process is a load (`waitWhileOwnedBy`), whose bus ends with it: then it waits
 * for the data dir to be free and starts the bus itself. With --brokers it targets the given brokers and the registry
 * from `registryUrl` / --registry / K2_REGISTRY_URL / http://localhost:8081.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerLockedError, describeLockOwner, lockOwnerAlive, lockPath, readLiveLock, type LockInfo } from '../broker/data-dir-lock.js';
import { errorMessage } from '../model/errors.js';
import { BusError } from './errors.js';
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
  /** In 'k2-broker' mode: the process serving the bus, and whether it still runs. */
  host?: { pid: number; owner: string | null; describe: string; lockFile: string; alive(): boolean };
  close(): Promise<void>;
}

export interface StartBusOptions {
  globals: GlobalOptions;
  /** --registry value, if the command has that flag. */
  registryUrl?: string;
  logger: Logger;
  /** Partitions of auto-created topics on the embedded broker; default 1. */
  defaultPartitions?: number;
  /** Recorded in the data dir's lock when the bus starts here, e.g. "k2 load asx". */
  owner?: string;
  /**
   * Owners whose bus is not borrowed but waited for: it goes away when they finish (a load),
   * so this process waits for the data dir to be free and then serves the bus itself.
   * Default SHORT_LIVED_BUS_OWNERS.
   */
  waitWhileOwnedBy?: readonly string[];
}

/** How `k2 load asx` names itself in the data dir's bus lock. */
export const LOAD_BUS_OWNER = 'k2 load asx';
/** Owners whose bus ends with their job: waited for rather than borrowed. */
export const SHORT_LIVED_BUS_OWNERS: readonly string[] = [LOAD_BUS_OWNER];

/** How long a lock without a registry URL (a bus still starting) is waited for. */
const STARTING_WAIT_MS = 10_000;
/** How often a wait for another process is logged. */
const WAIT_LOG_MS = 10_000;

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
  let startingSince: number | null = null;
  let loggedWaitAt = 0;
  for (;;) {
    const running = readLiveLock(brokerDir);
    if (running !== null && running.pid !== process.pid) {
      if (running.owner !== undefined && (opts.waitWhileOwnedBy ?? SHORT_LIVED_BUS_OWNERS).includes(running.owner)) {
        if (Date.now() - loggedWaitAt >= WAIT_LOG_MS) {
          loggedWaitAt = Date.now();
          opts.logger.info(`bus: waiting for ${running.owner} (pid ${running.pid}) to finish with this data dir`, { pid: running.pid, owner: running.owner });
        }
        await sleep(200);
        continue;
      }
      if (running.registry !== null) return borrowedBus(running, lockPath(brokerDir), opts.logger);
      // a bus still starting: its registry URL comes next
      startingSince ??= Date.now();
      if (Date.now() - startingSince < STARTING_WAIT_MS) {
        await sleep(100);
        continue;
      }
    }
    try {
      return await startInProcessBus(opts);
    } catch (err) {
      // another process took the data dir between the check and the start: use or wait for it
      if (err instanceof BrokerLockedError && (startingSince === null || Date.now() - startingSince < STARTING_WAIT_MS)) {
        startingSince ??= Date.now();
        continue;
      }
      throw err;
    }
  }
}

function borrowedBus(running: LockInfo, lockFile: string, logger: Logger): BusSession {
  logger.info('bus: using the k2 broker already serving this data dir', { pid: running.pid, owner: running.owner, brokers: running.kafka, registry: running.registry });
  return {
    endpoints: { brokers: [running.kafka], registryUrl: running.registry! },
    embedded: false,
    mode: 'k2-broker',
    host: { pid: running.pid, owner: running.owner ?? null, describe: describeLockOwner(running), lockFile, alive: () => lockOwnerAlive(running) },
    close: async () => undefined,
  };
}

async function startInProcessBus(opts: StartBusOptions): Promise<BusSession> {
  const logger = opts.logger.child({ component: 'embedded-bus' });
  const broker = await EmbeddedBroker.start({ dataDir: opts.globals.dataDir, host: '127.0.0.1', port: 0, defaultPartitions: opts.defaultPartitions, owner: opts.owner, logger });
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

/** How kafkajs and node say that a broker cannot be reached or does not answer. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|connection error|closed connection|not connected|timed? ?out|number of retries/i;

/**
 * An error from a bus borrowed from another k2 process, said in terms of that process when
 * the broker could not be reached: it exited, or it did not answer (hung, stopped). Other
 * errors (and errors of buses not borrowed) are returned as they are.
 */
export function explainBorrowedBusError(bus: BusSession, err: unknown): unknown {
  const host = bus.host;
  if (host === undefined || err instanceof BusHostError || !UNREACHABLE.test(errorMessage(err))) return err;
  const where = `${bus.endpoints.brokers.join(',')}, from ${host.lockFile}`;
  return host.alive()
    ? new BusHostError(`cannot reach the bus of ${host.describe} (${where}): ${errorMessage(err)}; if that process is hung, stop it, or pass --brokers`, host.pid, err)
    : new BusHostError(`the k2 process that served this data dir's bus (${host.describe}) exited: ${errorMessage(err)}`, host.pid, err);
}

/** The k2 process whose bus this process borrowed exited or does not answer. */
export class BusHostError extends BusError {
  constructor(message: string, readonly pid: number, cause: unknown) {
    super(message, { pid }, { cause });
  }
}
