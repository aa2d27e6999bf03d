/**
 * A sealing sink that seals as the bus does (Avro in the Confluent wire format: the records'
 * batches through the compiled writer, and trades written straight from the frame through
 * its trade sealer) and, on publish, decodes everything back into `records`: what a consumer
 * of the topics would read. It counts which path each trade took.
 */
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TaggedRecord } from '../../src/model/record-kind.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { PackedWireBuilder, type AvroBodyWriter } from '../../src/schema/packed-wire-builder.js';
import { v2Type } from '../../src/schema/v2-schemas.js';
import { decodeWire, encodeWirePacked, type PackedWire } from '../../src/schema/wire-format.js';
import type { SealingSink, TradeBodySealer } from '../../src/sources/binance/record-sink.js';

const SCHEMA_ID = 1;
const NONE: PackedWire = { buf: Buffer.alloc(0), starts: [0] };

export interface AvroSealed {
  trades: PackedWire;
  quotes: PackedWire;
}

function unpack<T>(p: PackedWire, kind: 'trades' | 'quotes'): T[] {
  const type = v2Type(kind);
  const out: T[] = [];
  for (let i = 0; i + 1 < p.starts.length; i++) out.push(decodeWire<T>(p.buf.subarray(p.starts[i], p.starts[i + 1]), type));
  return out;
}

export class AvroSealingSink implements SealingSink<AvroSealed> {
  readonly records: TaggedRecord[] = [];
  /** Trades sealed from their frames (the trade sealer), and records sealed through seal(). */
  directTrades = 0;
  sealedRecords = 0;
  batches = 0;
  private readonly builder = new PackedWireBuilder(SCHEMA_ID);
  private readonly sealer: TradeBodySealer<AvroSealed>;

  constructor() {
    const builder = this.builder;
    this.sealer = {
      get count() {
        return builder.count;
      },
      append: (_symbol: string, body: AvroBodyWriter) => {
        builder.append(body);
        this.directTrades++;
      },
      finish: () => ({ trades: builder.finish(), quotes: NONE }),
    };
  }

  tradeSealer(): TradeBodySealer<AvroSealed> {
    return this.sealer;
  }

  seal(batch: TaggedRecord[]): AvroSealed {
    const trades: TradeV2[] = [];
    const quotes: QuoteV2[] = [];
    for (const r of batch) {
      if (r.kind === 'trades') trades.push(r.record);
      else if (r.kind === 'quotes') quotes.push(r.record);
    }
    this.sealedRecords += batch.length;
    return { trades: encodeWirePacked(v2Type('trades'), SCHEMA_ID, trades), quotes: encodeWirePacked(v2Type('quotes'), SCHEMA_ID, quotes) };
  }

  unseal(sealed: AvroSealed): TaggedRecord[] {
    const out: TaggedRecord[] = [];
    for (const record of unpack<TradeV2>(sealed.trades, 'trades')) out.push({ kind: 'trades', record });
    for (const record of unpack<QuoteV2>(sealed.quotes, 'quotes')) out.push({ kind: 'quotes', record });
    return out;
  }

  async publishSealed(batches: AvroSealed[]): Promise<void> {
    this.batches++;
    for (const b of batches) for (const r of this.unseal(b)) this.records.push(r);
  }

  async publish(batch: TaggedRecord[]): Promise<void> {
    this.batches++;
    for (const r of batch) this.records.push(r);
  }
}
