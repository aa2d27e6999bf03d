/**
 * EmbeddedBroker: k2's single-node Kafka-protocol broker over TCP.
 *
 *   const broker = await EmbeddedBroker.start({ dataDir, port: 0, logger });
 *   // kafkajs / kcat connect to `${broker.host}:${broker.port}`
 *   await broker.close();
 *
 * Storage lives under `<dataDir>/broker/` (topics/, offsets/, producer-ids).
 * See docs/broker.md for the storage layout and fsync policy.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { DataDirLock } from './data-dir-lock.js';
import { GroupCoordinator } from './group/group-coordinator.js';
import { OffsetStore } from './group/offset-store.js';
import { ProducerIdAllocator } from './producer/producer-id-allocator.js';
import { ProducerStateManager } from './producer/producer-state.js';
import type { BrokerContext } from './server/broker-context.js';
import { Connection } from './server/connection.js';
import { RequestRouter } from './server/request-router.js';
import { TopicManager } from './storage/topic-manager.js';

export interface EmbeddedBrokerOptions {
  dataDir: string;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Host name put in Metadata; default `host`, or the machine's name when listening on all interfaces. */
  advertisedHost?: string;
  /** Port put in Metadata; default the listening port (for proxies and NAT). */
  advertisedPort?: number;
  /** 0 = ephemeral. Default 9092. */
  port?: number;
  /** Partitions of auto-created topics and CreateTopics with -1; default 1. */
  defaultPartitions?: number;
  autoCreateTopics?: boolean;
  /** fdatasync before acknowledging acks=-1 (default true). */
  fsyncOnAcksAll?: boolean;
  /** Largest accepted request frame; default 100 MiB (Kafka's socket.request.max.bytes). */
  maxFrameBytes?: number;
  /** Largest accepted record batch; default 8 MiB. */
  maxBatchBytes?: number;
  /** Segment roll size; default 64 MiB. */
  segmentBytes?: number;
  /** First-join delay to gather group members; default 100 ms. */
  initialRebalanceDelayMs?: number;
  /** Recorded in the data dir's lock, e.g. "k2 load asx": who serves the data dir's bus. */
  owner?: string;
  logger: Logger;
}

export const BROKER_NODE_ID = 1;

export class EmbeddedBroker {
  private readonly connections = new Set<Connection>();
  private closed = false;

  private constructor(
    private readonly lock: DataDirLock,
    private readonly server: Server,
    private readonly ctx: BrokerContext,
    readonly host: string,
    readonly port: number,
    /** The port actually listened on (differs from `port` only with advertisedPort). */
    readonly listenPort: number,
  ) {}

  static async start(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
    const root = join(opts.dataDir, 'broker');
    mkdirSync(root, { recursive: true });
    // Take the directory before touching its logs: two brokers on one directory would corrupt it.
    const lock = DataDirLock.acquire(root, 'starting', opts.owner);
    try {
      return await EmbeddedBroker.startLocked(opts, root, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private static async startLocked(opts: EmbeddedBrokerOptions, root: string, lock: DataDirLock): Promise<EmbeddedBroker> {
    const logger = opts.logger;
    const topics = new TopicManager(join(root, 'topics'), { segmentBytes: opts.segmentBytes ?? 64 * 1024 * 1024 }, logger);
    const producers = new ProducerStateManager();
    for (const p of topics.load()) for (const h of p.headers) producers.record(p.topic, p.partition, h, h.baseOffset);
    const producerIds = new ProducerIdAllocator(join(root, 'producer-ids'), producers.maxProducerId() + 1n);
    const groups = new GroupCoordinator(new OffsetStore(join(root, 'offsets'), logger), { initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 100 }, logger);
    const host = opts.host ?? '127.0.0.1';
    const wildcard = host === '0.0.0.0' || host === '::';
    const ctx: BrokerContext = {
      node: { nodeId: BROKER_NODE_ID, host: opts.advertisedHost ?? (wildcard ? hostname() : host), port: 0 },
      settings: {
        defaultPartitions: opts.defaultPartitions ?? 1,
        autoCreateTopics: opts.autoCreateTopics ?? true,
        fsyncOnAcksAll: opts.fsyncOnAcksAll ?? true,
        maxBatchBytes: opts.maxBatchBytes ?? 8 * 1024 * 1024,
        clusterId: 'k2-embedded',
      },
      topics,
      producers,
      producerIds,
      groups,
      logger,
      closing: { value: false },
    };
    const router = new RequestRouter(ctx);
    const maxFrame = opts.maxFrameBytes ?? 100 * 1024 * 1024;
    let broker: EmbeddedBroker | undefined;
    const pending: Socket[] = [];
    const server = createServer((socket) => {
      if (!broker) {
        pending.push(socket);
        return;
      }
      broker.accept(socket, router, maxFrame);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 9092, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    ctx.node.port = opts.advertisedPort ?? port;
    broker = new EmbeddedBroker(lock, server, ctx, ctx.node.host, ctx.node.port, port);
    for (const s of pending) broker.accept(s, router, maxFrame);
    lock.update(broker.bootstrap);
    logger.info('broker: listening', { host, port, advertised: `${ctx.node.host}:${port}`, dataDir: root, topics: topics.names().length });
    return broker;
  }

  private accept(socket: Socket, router: RequestRouter, maxFrame: number): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, router, maxFrame, this.ctx.logger);
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
  }

  /** Publishes the schema registry URL in the data-dir lock, so other k2 processes can find it. */
  advertiseRegistry(url: string): void {
    this.lock.setRegistry(url);
  }

  /** `host:port` as clients should use it. */
  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.closing.value = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const c of this.connections) c.close();
    });
    this.ctx.groups.close();
    this.ctx.topics.close();
    this.lock.release();
    this.ctx.logger.info('broker: stopped');
  }
}
