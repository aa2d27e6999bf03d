/**
 * TailSource over the bus (src/bus): for every v2 topic of the table's kind, reads
 * from the offsets the snapshot covers (or the start, for topics it does not
 * mention) to the high watermark, and decodes through the schema registry.
 * Undecodable records are left out: the consumer sends them to the dead-letter file.
 */
import { BusAdmin, RecordDecoder, SchemaRegistryClient, readTopicTail, type BusEndpoints } from '../bus/index.js';
import type { Logger } from '../log/logger.js';
import type { QuoteV2 } from '../model/quote.js';
import { parseTopicName } from '../model/topics.js';
import type { TradeV2 } from '../model/trade.js';
import type { CommittedOffsets } from './committed-offsets.js';
import type { TailRecords, TailSource } from './tail-source.js';
import type { QueryTable } from './table-schema.js';

export interface BusTailSourceOptions {
  endpoints: BusEndpoints;
  logger: Logger;
  /** Give up reading a topic's tail after this long; default 10 s. */
  timeoutMs?: number;
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

  async readTail(table: QueryTable, committed: CommittedOffsets): Promise<TailRecords> {
    const reuse = this.opts.reuseMs ?? 0;
    if (reuse <= 0) return this.read(table, committed);
    const key = `${table}|${JSON.stringify([...committed].map(([t, p]) => [t, [...p].map(([n, o]) => [n, o.toString()])]))}`;
    const now = Date.now();
    const hit = this.recent.get(key);
    if (hit !== undefined && now - hit.at <= reuse) return hit.read;
    const read = this.read(table, committed);
    this.recent.set(key, { at: now, read });
    read.catch(() => this.recent.delete(key));
    for (const [k, v] of this.recent) if (now - v.at > reuse) this.recent.delete(k);
    return read;
  }

  private async read(table: QueryTable, committed: CommittedOffsets): Promise<TailRecords> {
    const kind = table === 'trades_v2' ? 'trades' : 'quotes';
    const topics = await this.topicsOf(kind);
    const tails = await Promise.all(
      topics.map((topic) =>
        readTopicTail(this.opts.endpoints, { topic, startOffsets: committed.get(topic), logger: this.opts.logger, timeoutMs: this.opts.timeoutMs ?? 10_000 }),
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

  async close(): Promise<void> {}
}
