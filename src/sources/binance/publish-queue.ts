/**
 * The stream client's queue of records waiting for the sink, bounded for backpressure
 * (the client pauses its sockets at `limit`; nothing is ever dropped).
 *
 * With a sealing sink (record-sink.ts), `seal()` turns the records queued so far into
 * sealed pieces (the bus: wire messages), so only that compact form waits; `take()` then
 * hands out consecutive pieces, up to `maxBatch` records, as one batch. With any other
 * sink, records wait as they are and `take()` hands out up to `maxBatch` of them.
 * Order is kept either way, and a batch whose publish failed goes back to the front.
 * `drain()` empties the queue into records again (unsealing through the sink), for a
 * client that gives up publishing at its shutdown deadline and dead-letters the rest.
 *
 * A sink with a trade sealer (SealingSink.tradeSealer) also takes trades as Avro bodies the
 * client writes straight from the frame (`pushTrade`): they go into the sealer's open batch,
 * which becomes a piece when a record is pushed after them (order is kept), at `seal()`, or
 * at `maxBatch` trades.
 */
import type { TaggedRecord } from '../../model/record-kind.js';
import { BoundedBuffer } from '../../resilience/bounded-buffer.js';
import type { AvroBodyWriter } from '../../schema/packed-wire-builder.js';
import { isSealingSink, type RecordSink, type SealingSink, type TradeBodySealer } from './record-sink.js';

/** A batch handed to the sink: publish it, or put it back (at the front) when that failed. */
export interface OutgoingBatch {
  readonly records: number;
  readonly trades: number;
  publish(): Promise<void>;
  putBack(): void;
}

/** Sealed records, or records the sink could not seal (published through `publish`). */
type Piece = { sealed: unknown; records: number; trades: number } | { raw: TaggedRecord[]; records: number; trades: number };

/** Everything a drained queue held, oldest first. */
export interface DrainedRecords {
  records: TaggedRecord[];
  /** Sealed records the sink could not give back (it has no `unseal`, or unsealing failed): counted only. */
  unrecoverable: number;
}

function countTrades(batch: readonly TaggedRecord[]): number {
  let trades = 0;
  for (const r of batch) if (r.kind === 'trades') trades++;
  return trades;
}

export class PublishQueue {
  private readonly records: BoundedBuffer<TaggedRecord>;
  private readonly sealing: SealingSink<unknown> | null;
  private pieces: Piece[] = [];
  private piecesRecords = 0;
  /** The trade sealer whose batch is open (trades pushed with pushTrade, not a piece yet), or null. */
  private open: TradeBodySealer<unknown> | null = null;

  constructor(private readonly sink: RecordSink, limit: number, private readonly maxBatch: number) {
    this.records = new BoundedBuffer(limit);
    this.sealing = isSealingSink(sink) ? sink : null;
  }

  /** Records queued, sealed or not. */
  get size(): number {
    return this.records.size + this.piecesRecords + (this.open?.count ?? 0);
  }

  get limit(): number {
    return this.records.limit;
  }

  push(record: TaggedRecord): void {
    if (this.open !== null) this.closeTrades();
    this.records.push(record);
  }

  /**
   * Queues a trade of `symbol` whose trade_v2 Avro body `body` writes (now), when the sink
   * takes such trades now; false otherwise (nothing is queued: push the record instead).
   */
  pushTrade(symbol: string, body: AvroBodyWriter): boolean {
    let open = this.open;
    if (open === null) {
      open = this.sealing?.tradeSealer?.() ?? null;
      if (open === null) return false;
      if (this.records.size > 0) this.sealRecords(); // the records pushed before go first
      this.open = open;
    }
    open.append(symbol, body);
    if (open.count >= this.maxBatch) this.closeTrades();
    return true;
  }

  /** Seals the records queued so far (a no-op for a sink that does not seal). */
  seal(): void {
    this.sealRecords();
    this.closeTrades();
  }

  /** The open batch of trades becomes a piece. */
  private closeTrades(): void {
    const open = this.open;
    if (open === null) return;
    this.open = null;
    const n = open.count;
    if (n === 0) return;
    this.pieces.push({ sealed: open.finish(), records: n, trades: n });
    this.piecesRecords += n;
  }

  private sealRecords(): void {
    const sink = this.sealing;
    if (sink === null) return;
    while (this.records.size > 0) {
      const batch = this.records.take(this.maxBatch);
      const trades = countTrades(batch);
      let piece: Piece;
      try {
        piece = { sealed: sink.seal(batch), records: batch.length, trades };
      } catch {
        // published (and failing, retried, logged) through publish, in its place
        piece = { raw: batch, records: batch.length, trades };
      }
      this.pieces.push(piece);
      this.piecesRecords += batch.length;
    }
  }

  /** The next batch to publish, or null when nothing is queued. */
  take(): OutgoingBatch | null {
    if (this.sealing === null) return this.takeRecords();
    this.seal();
    const first = this.pieces[0];
    if (first === undefined) return null;
    if ('raw' in first) {
      const raw = first.raw;
      return this.takePieces(1, () => this.sink.publish(raw));
    }
    const sealed = [first.sealed];
    let records = first.records;
    for (let n = 1; n < this.pieces.length; n++) {
      const next = this.pieces[n]!;
      if ('raw' in next || records + next.records > this.maxBatch) break;
      sealed.push(next.sealed);
      records += next.records;
    }
    const sink = this.sealing;
    return this.takePieces(sealed.length, () => sink.publishSealed(sealed));
  }

  /**
   * Empties the queue: every record still waiting, sealed or not, oldest first (put a
   * batch that is in flight back first to include it). Sealed pieces are turned back
   * into records through the sink's `unseal`.
   */
  drain(): DrainedRecords {
    const records: TaggedRecord[] = [];
    let unrecoverable = 0;
    this.closeTrades();
    const unseal = this.sealing?.unseal?.bind(this.sealing);
    for (const p of this.pieces) {
      if ('raw' in p) {
        for (const r of p.raw) records.push(r);
      } else if (unseal === undefined) {
        unrecoverable += p.records;
      } else {
        try {
          for (const r of unseal(p.sealed)) records.push(r);
        } catch {
          unrecoverable += p.records;
        }
      }
    }
    this.pieces = [];
    this.piecesRecords = 0;
    for (const r of this.records.take(this.records.size)) records.push(r);
    return { records, unrecoverable };
  }

  private takeRecords(): OutgoingBatch | null {
    if (this.records.size === 0) return null;
    const batch = this.records.take(this.maxBatch);
    return {
      records: batch.length,
      trades: countTrades(batch),
      publish: () => this.sink.publish(batch),
      putBack: () => this.records.unshift(batch),
    };
  }

  private takePieces(n: number, publish: () => Promise<void>): OutgoingBatch {
    const taken = this.pieces.slice(0, n);
    this.pieces = this.pieces.slice(n);
    let records = 0;
    let trades = 0;
    for (const p of taken) {
      records += p.records;
      trades += p.trades;
    }
    this.piecesRecords -= records;
    return {
      records,
      trades,
      publish,
      putBack: () => {
        this.pieces = taken.concat(this.pieces);
        this.piecesRecords += records;
      },
    };
  }
}
