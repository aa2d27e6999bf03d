/**
 * TailSource over the bus (src/bus): for every v2 topic of the table's kind, reads
 * from the offsets the snapshot covers (or the start, for topics it does not
 * mention) to the high watermark, and decodes through the schema registry.
 * Undecodable records are left out: the consumer sends them to the dead-letter file.
 *
 * Every read has a deadline (`timeoutMs`, covering connect, metadata, fetch and decode):
 * a broker that accepts connections and never answers, or is gone, would otherwise hold
 * a query for kafkajs's request timeout and retries (30 s and more). Past the deadline the
 * read fails with FreshReadTimeoutError and its scan answers with the committed rows. The
 * kafkajs work cannot be cancelled and runs on to its own timeout; while such a read is
 * still running, later reads fail at once with the same reason instead of piling up more
 * connections to a broker that does not answer. `abort(reason)` ends all reads at once.
 */
import { BusAdmin, RecordDecoder, SchemaRegistryClient, TopicTailTooLargeError, readTopicTail, type BusEndpoints } from '../bus/index.js';
import type { Logger } from '../log/logger.js';
import type { QuoteV2 } from '../model/quote.js';
import { parseTopicName } from '../model/topics.js';
import type { TradeV2 } from '../model/trade.js';
import type { CommittedOffsets } from './committed-offsets.js';
import { FRESH_MAX_RECORDS, FRESH_TIMEOUT_MS, FreshReadAbortedError, FreshReadTimeoutError, FreshTailTooLargeError, type TailRecords, type TailSource } from './tail-source.js';
import type { QueryTable } from './table-schema.js';

export interface BusTailSourceOptions {
  endpoints: BusEndpoints;
  logger: Logger;
  /** Deadline of one tail read, all topics of the table (ms); default FRESH_TIMEOUT_MS (10 s). */
  timeoutMs?: number;
  /** A topic's tail of more records than this is not read (FreshTailTooLargeError); default FRESH_MAX_RECORDS. */
  maxRecords?: number;
  /**
   * Reuse a tail read for the same table and offsets for this long (ms), and share
   * reads in flight between concurrent queries. 0 (default) reads on every query;
   * `k2 serve` uses a few hundred ms so bursts of requests cost one bus round trip.
   */
  reuseMs?: number;
}

export class BusTailSource implements TailSource {
  private readonly decoder: RecordDecoder;

  constructor(private readonly opts: BusTailSourceOptions) {
    this.decoder = new RecordDecoder(new SchemaRegistryClient(opts.endpoints.registryUrl));
  }

  private async topicsOf(kind: 'trades' | 'quotes'): Promise<string[]> {
    const admin = await BusAdmin.connect(this.opts.endpoints, this.opts.logger);
    try {
      return (await admin.listTopics()).filter((t) => parseTopicName(t)?.kind === kind).sort();
    } finally {
      await admin.close();
    }
  }

  private readonly recent = new Map<string, { at: number; read: Promise<TailRecords> }>();
  private readonly aborter = new AbortController();
  /** Reads running underneath (kafkajs), and how many of those their callers gave up on. */
  private running = 0;
  private abandoned = 0;
  /** Reads that queries are still waiting on (one read may serve several queries, see reuseMs). */
  private waiting = 0;

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? FRESH_TIMEOUT_MS;
  }

  async readTail(table: QueryTable, committed: CommittedOffsets): Promise<TailRecords> {
    const { signal } = this.aborter;
    if (signal.aborted) throw new FreshReadAbortedError(String(signal.reason));
    // an earlier read is past its deadline and still waiting for the broker: do not add another
    if (this.abandoned > 0) throw new FreshReadTimeoutError(this.timeoutMs);
    const reuse = this.opts.reuseMs ?? 0;
    if (reuse <= 0) return this.bounded(table, committed);
    const key = `${table}|${JSON.stringify([...committed].map(([t, p]) => [t, [...p].map(([n, o]) => [n, o.toString()])]))}`;
    const now = Date.now();
    const hit = this.recent.get(key);
    if (hit !== undefined && now - hit.at <= reuse) return hit.read;
    const read = this.bounded(table, committed);
    this.recent.set(key, { at: now, read });
    read.catch(() => this.recent.delete(key));
    for (const [k, v] of this.recent) if (now - v.at > reuse) this.recent.delete(k);
    return read;
  }

  /** One read with its deadline; it also ends at once when the source is aborted. */
  private bounded(table: QueryTable, committed: CommittedOffsets): Promise<TailRecords> {
    const { signal } = this.aborter;
    let gaveUp = false;
    this.running++;
    this.waiting++;
    const work = this.read(table, committed);
    void work
      .catch(() => undefined)
      .finally(() => {
        this.running--;
        if (gaveUp) this.abandoned--;
      });
    return new Promise<TailRecords>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiting--;
      };
      const giveUp = (err: Error): void => {
        gaveUp = true;
        this.abandoned++;
        settle();
        reject(err);
      };
      const onAbort = (): void => giveUp(new FreshReadAbortedError(String(signal.reason)));
      const timer = setTimeout(() => {
        this.opts.logger.warn('fresh rows: the bus did not answer in time', { table, brokers: this.opts.endpoints.brokers.join(','), timeout_ms: this.timeoutMs });
        giveUp(new FreshReadTimeoutError(this.timeoutMs));
      }, this.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (r) => {
          if (gaveUp) return;
          settle();
          resolve(r);
        },
        (err: unknown) => {
          if (gaveUp) return;
          settle();
          reject(err);
        },
      );
    });
  }

  private async read(table: QueryTable, committed: CommittedOffsets): Promise<TailRecords> {
    const kind = table === 'trades_v2' ? 'trades' : 'quotes';
    const topics = await this.topicsOf(kind);
    const maxRecords = this.opts.maxRecords ?? FRESH_MAX_RECORDS;
    const tails = await Promise.all(
      topics.map((topic) =>
        // the reader's own timeout backs up the deadline above, which ends the query first
        readTopicTail(this.opts.endpoints, { topic, startOffsets: committed.get(topic), logger: this.opts.logger, timeoutMs: this.timeoutMs, maxRecords }).catch(
          (err: unknown) => {
            if (err instanceof TopicTailTooLargeError) throw new FreshTailTooLargeError(err.topic, err.records, err.maxRecords);
            throw err;
          },
        ),
      ),
    );
    const values = tails.flatMap((parts) => parts.flatMap((p) => p.messages.map((m) => m.value)));
    if (kind === 'trades') {
      const decoded = await this.decoder.decodeAll('trades', values);
      return { table: 'trades_v2', records: decoded.flatMap((d): TradeV2[] => (d.ok ? [d.record] : [])) };
    }
    const decoded = await this.decoder.decodeAll('quotes', values);
    return { table: 'quotes_v2', records: decoded.flatMap((d): QuoteV2[] => (d.ok ? [d.record] : [])) };
  }

  abort(reason: string): number {
    const waiting = this.waiting;
    if (!this.aborter.signal.aborted) this.aborter.abort(reason);
    this.recent.clear();
    return waiting;
  }

  pendingReads(): number {
    return this.running;
  }

  async close(): Promise<void> {}
}
