/**
 * The Iceberg consumer on a worker thread, so that a command that publishes
 * (`k2 load asx`, `k2 stream binance`) keeps its own thread for reading, encoding and the embedded
 * broker while the rows are decoded, written and committed on a second core.
 * It is the same IcebergConsumer as `k2 consume`: a separate kafkajs client over
 * TCP, exactly-once through the offsets in the table.
 *
 *   BackgroundConsumer.start(config: BackgroundConsumerConfig, onCommit?): BackgroundConsumer   // returns at once
 *   consumer.ready: Promise<void>                 // the worker consumes
 *   consumer.finish(): Promise<ConsumeSummary>   // consume until caught up with every topic, commit, stop
 *   consumer.finish(timeoutMs): Promise<ConsumeSummary>  // ... but after timeoutMs commit what is buffered and stop
 *   consumer.finishWhileCommitting(stallMs, now?): Promise<ConsumeSummary>  // ... but once stallMs pass without a commit, commit what is buffered and stop
 *   consumer.hurry(): void                        // a finish in progress commits what is buffered and stops now
 *   consumer.stop(): Promise<ConsumeSummary>     // commit what is buffered and stop now
 *   consumer.mirrorMetricsInto(registry): Promise<void>   // the worker's consumer metrics, fetched on scrape
 */
import type { Worker } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import { mirrorMetrics, type MetricJson } from '../metrics/metrics-mirror.js';
import { createMetricsRegistry } from '../metrics/registry.js';
import { ConsumerMetrics } from './consumer-metrics.js';
import { startModuleWorker } from '../runtime/module-worker.js';
import type { BackgroundConsumerConfig, FromWorker, ToWorker } from './background-consumer-protocol.js';
import { ConsumeError } from './errors.js';
import type { CommitEvent, ConsumeSummary } from './iceberg-consumer.js';

export type { BackgroundConsumerConfig } from './background-consumer-protocol.js';

/**
 * The worker's V8 young generation, in MB (V8's default grows to 32-48 MB). The worker's rows
 * live in typed arrays, outside the V8 heap, so a small young generation costs it nothing
 * measurable, and `k2 stream binance` into Iceberg peaked ~45 MB lower at steady state
 * (500k frames, 4 interleaved runs each: 377-414 MB instead of 430-464 MB; decisions.md).
 */
const WORKER_YOUNG_GENERATION_MB = 8;

export class BackgroundConsumer {
  private failure: Error | null = null;
  private readonly metricRequests = new Map<number, (metrics: MetricJson[]) => void>();
  private nextMetricRequest = 1;
  private readonly done: Promise<ConsumeSummary>;
  private ended = false;
  /** When the worker last committed, or started consuming (ms, Date.now()). */
  private lastCommitAt = 0;
  /** Whether the worker consumes (its start-up, however slow, is not a stall). */
  private consuming = false;
  /** The clock of stall detection (finishWhileCommitting's). */
  private now: () => number = Date.now;

  private constructor(
    private readonly worker: Worker,
    started: { resolve: () => void; reject: (e: Error) => void },
    onCommit: ((event: CommitEvent) => void) | undefined,
    /** resolves once the worker consumes */
    readonly ready: Promise<void>,
  ) {
    this.done = new Promise<ConsumeSummary>((resolve, reject) => {
      const fail = (err: Error): void => {
        this.failure ??= err;
        started.reject(err);
        reject(err);
      };
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'started') {
          this.lastCommitAt = this.now(); // a stall is counted from when it consumes
          this.consuming = true;
          started.resolve();
        }
        else if (m.type === 'commit') {
          this.lastCommitAt = this.now();
          onCommit?.(m.event);
        }
        else if (m.type === 'metrics') {
          this.metricRequests.get(m.id)?.(m.metrics);
          this.metricRequests.delete(m.id);
        }
        else if (m.type === 'done') {
          this.ended = true;
          resolve(m.summary);
          void worker.terminate();
        } else {
          const err = new ConsumeError(`background Iceberg consumer failed: ${m.message}`, { error: m.name });
          if (m.stack !== undefined) err.stack = `${err.stack ?? ''}\nworker: ${m.stack}`;
          fail(err);
          void worker.terminate();
        }
      });
      worker.on('error', (err) => fail(new ConsumeError(`background Iceberg consumer crashed: ${err.message}`, {}, { cause: err })));
      worker.on('exit', (code) => {
        if (!this.ended) fail(new ConsumeError(`background Iceberg consumer exited early (code ${code})`, { code }));
      });
    });
    this.done.catch(() => undefined);
  }

  /**
   * Starts the worker and returns at once: the caller publishes while the worker
   * loads its modules and joins the group. `ready` resolves once it consumes; a
   * start-up failure surfaces there, in `error`, and from finish()/stop().
   */
  static start(config: BackgroundConsumerConfig, onCommit?: (event: CommitEvent) => void): BackgroundConsumer {
    const worker = startModuleWorker(import.meta.url, './background-consumer-worker.js', config, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    let started!: { resolve: () => void; reject: (e: Error) => void };
    const ready = new Promise<void>((resolve, reject) => (started = { resolve, reject }));
    ready.catch(() => undefined);
    const c = new BackgroundConsumer(worker, started, onCommit, ready);
    return c;
  }

  /** The error that stopped the worker, if it has failed already. */
  get error(): Error | null {
    return this.failure;
  }

  private send(m: ToWorker): Promise<ConsumeSummary> {
    if (!this.ended && this.failure === null) this.worker.postMessage(m);
    return this.done;
  }

  /** Consume until caught up, commit and stop; after `timeoutMs` (if given) commit what is buffered and stop. */
  finish(timeoutMs?: number): Promise<ConsumeSummary> {
    const done = this.send({ type: 'finish' });
    if (timeoutMs === undefined) return done;
    const timer = setTimeout(() => {
      if (!this.ended && this.failure === null) this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
    }, timeoutMs);
    return done.finally(() => clearTimeout(timer));
  }

  /**
   * Consume until caught up, commit and stop, for as long as it takes while the worker keeps
   * committing (it commits at least every second while it has rows): once `stallMs` pass
   * without a commit (counted from when it consumes: a slow start-up is not a stall), it
   * commits what is buffered and stops. For a stop that has no deadline
   * (the stream's --max-messages, --duration), so that what was published lands in the table.
   */
  finishWhileCommitting(stallMs: number, now: () => number = Date.now): Promise<ConsumeSummary> {
    this.now = now;
    this.lastCommitAt = now();
    const done = this.send({ type: 'finish' });
    const timer = setInterval(() => {
      if (this.consuming && now() - this.lastCommitAt >= stallMs) this.hurry();
    }, Math.max(10, Math.min(1_000, stallMs / 4)));
    return done.finally(() => clearInterval(timer));
  }

  /** A finish in progress stops catching up: the worker commits what is buffered and stops. */
  hurry(): void {
    if (!this.ended && this.failure === null) this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
  }

  /** The worker's metrics (its own registry), for mirroring into this thread's registry. */
  metrics(): Promise<MetricJson[]> {
    if (this.ended || this.failure !== null) return Promise.resolve([]);
    const id = this.nextMetricRequest++;
    return new Promise((resolve) => {
      this.metricRequests.set(id, resolve);
      this.worker.postMessage({ type: 'metrics', id } satisfies ToWorker);
    });
  }

  /** Shows the worker's consumer metrics in `registry` (fetched from the worker on scrape). */
  async mirrorMetricsInto(registry: Registry): Promise<void> {
    const template = createMetricsRegistry();
    new ConsumerMetrics(template);
    await mirrorMetrics(registry, template, () => this.metrics());
  }

  stop(): Promise<ConsumeSummary> {
    return this.send({ type: 'stop' });
  }
}
