/**
 * A scanned Binance @trade frame straight to its trade_v2 Avro body: the bytes that encoding
 * tradeEventToV2(event) with the v2 schema gives (with a fresh message_id), written with no
 * TradeV2 object, bigint or string in between: price and quantity are read from the frame's
 * bytes, and the digits of the ids and times (canonical, so String() of the numbers) are
 * copied from it. This is the stream client's hot path into a sealing sink; everything else
 * (and every event this encoder does not accept) goes through tradeEventToV2 and the generic
 * writer.
 *
 * `set(trade)` is true only for trades whose encoding is exactly the generic one:
 *  - price and quantity in Binance's own shape (8 decimals), positive, below 2^53 units;
 *  - a symbol whose quote asset is known (tradeEventToV2 would throw otherwise);
 *  - and the trade_v2 schema having the field layout written here (checked once, against
 *    schemas/trade_v2.avsc: a changed schema turns this path off rather than writing wrong
 *    bytes). test/binance/trade-event-encoder.test.ts compares the bytes with the generic
 *    path's, field by field and over random events.
 */
import type { AvroBodyWriter } from '../../schema/packed-wire-builder.js';
import { schemaText } from '../../schema/v2-schemas.js';
import { BINANCE_EXCHANGE } from './mapper.js';
import { writeMessageId } from './message-id.js';
import { splitSymbol } from './quote-assets.js';
import { TradeSpan, type ScannedTrade } from './combined-frame-scanner.js';
import type { TradeEvent } from './schemas.js';

/** trade_v2's fields in the order written below. */
const LAYOUT = [
  'message_id', 'trade_id', 'symbol', 'exchange', 'asset_class', 'timestamp', 'price', 'quantity', 'currency', 'side',
  'trade_conditions', 'source_sequence', 'ingestion_timestamp', 'platform_sequence', 'vendor_data',
];

interface SchemaField {
  name: string;
  type: unknown;
}

function enumIndex(fields: SchemaField[], field: string, symbol: string): number {
  const t = fields.find((f) => f.name === field)?.type as { symbols?: string[] } | undefined;
  return t?.symbols?.indexOf(symbol) ?? -1;
}

/** The enum indices this encoder needs, or null when trade_v2 (as declared) is not laid out as written here. */
function layoutOf(declared: string): { crypto: number; buy: number; sell: number } | null {
  const schema = JSON.parse(declared) as { fields: SchemaField[] };
  const names = schema.fields.map((f) => f.name);
  if (names.length !== LAYOUT.length || names.some((n, i) => n !== LAYOUT[i])) return null;
  const text = JSON.stringify(schema.fields.map((f) => f.type));
  const expected =
    '[{"type":"string","logicalType":"uuid"},"string","string","string",{"type":"enum","name":"AssetClass","symbols":["equities","crypto","futures","options"]},' +
    '{"type":"long","logicalType":"timestamp-micros"},{"type":"bytes","logicalType":"decimal","precision":18,"scale":8},{"type":"bytes","logicalType":"decimal","precision":18,"scale":8},"string",' +
    '{"type":"enum","name":"TradeSide","symbols":["BUY","SELL","SELL_SHORT","UNKNOWN"]},{"type":"array","items":"string"},["null","long"],' +
    '{"type":"long","logicalType":"timestamp-micros"},["null","long"],["null",{"type":"map","values":"string"}]]';
  if (text !== expected) return null;
  const crypto = enumIndex(schema.fields, 'asset_class', 'crypto');
  const buy = enumIndex(schema.fields, 'side', 'BUY');
  const sell = enumIndex(schema.fields, 'side', 'SELL');
  return crypto < 0 || buy < 0 || sell < 0 ? null : { crypto, buy, sell };
}

/** A symbol's fixed runs of bytes (Avro strings are their length varint, then ASCII). */
interface SymbolBytes {
  /** symbol, exchange, asset_class */
  head: Buffer;
  /** the quote asset (currency) */
  quote: Buffer;
  /** vendor_data's entries from base_asset to the event_time key, for m = true and m = false */
  vendorMaker: Buffer;
  vendorTaker: Buffer;
}

/** An ASCII string below 64 characters as Avro writes it. */
function avroAscii(...parts: string[]): Buffer {
  const out: number[] = [];
  for (const s of parts) {
    out.push(s.length << 1);
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  }
  return Buffer.from(out);
}

const TRADE_ID_PREFIX = Buffer.from('BINANCE-', 'latin1');
const TRADE_TIME = avroAscii('trade_time');
const IS_BEST_MATCH_TRUE = avroAscii('is_best_match', 'true');
const IS_BEST_MATCH_FALSE = avroAscii('is_best_match', 'false');
const BUYER_ORDER_ID = avroAscii('buyer_order_id');
const SELLER_ORDER_ID = avroAscii('seller_order_id');
/** The largest long avsc writes from a number (its isSafeLong): the generic path refuses more. */
const MAX_AVSC_LONG = 9007199254740990;
/** Most bytes a body takes beyond its symbol's strings (ids, times, decimals, the map's fixed text). */
const MAX_FIXED_BYTES = 512;

/** The scaled value (units of 1e-8) of Binance's 8-decimal text bytes[start, end), when positive and below 2^53; else -1. */
export function binanceUnits(bytes: Uint8Array, start: number, end: number): number {
  const n = end - start;
  const dot = end - 9;
  if (n < 10 || n > 17 || bytes[dot] !== 46 /* . */) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    if (i === dot) continue;
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v > 0 && v <= Number.MAX_SAFE_INTEGER ? v : -1;
}

const TWO_32 = 4294967296;

/**
 * Avro long (zig-zag varint) of a safe integer >= 0 at buf[pos]; returns the end. In two
 * 32-bit halves: % on doubles above 2^31 is a slow library call.
 */
function writeLong(buf: Buffer, pos: number, n: number): number {
  const z = n * 2; // exact: n < 2^53
  let lo = z >>> 0; // z mod 2^32, exact for any integral double
  let hi = (z - lo) / TWO_32; // < 2^22
  while (hi !== 0 || lo > 127) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/** Copies frame[start, end) (a short run: a loop beats a native call) to buf at pos; returns the end. */
function copySpan(buf: Buffer, pos: number, frame: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) buf[pos++] = frame[i]!;
  return pos;
}

/** An Avro string of the (at most 15) digits at span `at` of a scanned trade; returns the end. */
function writeDigitString(buf: Buffer, pos: number, frame: Uint8Array, spans: Int32Array, at: number): number {
  const start = spans[at]!;
  const end = spans[at + 1]!;
  buf[pos++] = (end - start) << 1; // one length byte
  return copySpan(buf, pos, frame, start, end);
}

/** decimal(18,8) bytes of positive units < 2^53: minimal two's complement, big-endian, after its length. */
function writeDecimal(buf: Buffer, pos: number, units: number): number {
  let len = 1;
  for (let limit = 128; units >= limit; limit *= 256) len++;
  buf[pos++] = len << 1;
  const lo = units >>> 0;
  const hi = (units - lo) / TWO_32;
  for (let k = 0; k < len; k++) buf[pos + len - 1 - k] = k < 4 ? (lo >>> (8 * k)) & 255 : (hi >>> (8 * (k - 4))) & 255;
  return pos + len;
}

/**
 * Copies bytes: a run of more than a dozen with TypedArray#set (a fixed ~40 ns, where a JS
 * loop costs ~3-4 ns a byte), a shorter one with a loop.
 */
function copy(buf: Buffer, pos: number, bytes: Buffer): number {
  const n = bytes.length;
  if (n > 12) buf.set(bytes, pos);
  else for (let i = 0; i < n; i++) buf[pos + i] = bytes[i]!;
  return pos + n;
}

export class TradeEventEncoder implements AvroBodyWriter {
  private readonly layout = layoutOf(schemaText('trades'));
  private readonly symbols = new Map<string, SymbolBytes | null>();
  private lastSymbol = '';
  private lastBytes: SymbolBytes | null = null;
  /** the trade set() accepted, and what it worked out for it */
  private scanned: ScannedTrade | null = null;
  private price = 0;
  private quantity = 0;
  private ingestion = 0;

  /** False when trade_v2 is not laid out as this encoder writes it: nothing is accepted. */
  get enabled(): boolean {
    return this.layout !== null;
  }

  /**
   * Takes a scanned @trade (the scanner's: used until its next scan) and the receive time
   * (UTC micros), and tells whether writeBody can write it; when false, the trade takes the
   * record path.
   */
  set(trade: ScannedTrade, ingestionMicros: number): boolean {
    this.scanned = null;
    if (this.layout === null || this.bytesOf(trade.tradeNumbers.s) === null) return false;
    const frame = trade.frame;
    const sp = trade.tradeSpans;
    const price = binanceUnits(frame, sp[TradeSpan.P]!, sp[TradeSpan.P + 1]!);
    const quantity = binanceUnits(frame, sp[TradeSpan.Q]!, sp[TradeSpan.Q + 1]!);
    if (price < 0 || quantity < 0) return false;
    const ingestion = ingestionMicros;
    if (!(ingestion >= 0 && ingestion <= MAX_AVSC_LONG && Number.isInteger(ingestion))) return false;
    this.scanned = trade;
    this.price = price;
    this.quantity = quantity;
    this.ingestion = ingestion;
    return true;
  }

  /** The accepted trade's price, in units of 1e-8. */
  get priceUnits(): number {
    return this.price;
  }

  writeBody(buf: Buffer, pos: number): number {
    const scanned = this.scanned;
    const layout = this.layout;
    const sym = this.lastBytes;
    if (scanned === null || layout === null || sym === null) throw new Error('TradeEventEncoder: writeBody without an accepted event');
    if (pos + MAX_FIXED_BYTES + sym.head.length + sym.vendorTaker.length + sym.quote.length > buf.length) return -1;
    const ev: Readonly<TradeEvent> = scanned.tradeNumbers;
    const frame = scanned.frame;
    const sp = scanned.tradeSpans;
    // message_id: a uuid string of 36 characters
    buf[pos++] = 72;
    writeMessageId(buf, pos);
    pos += 36;
    // trade_id: BINANCE-{t}
    buf[pos++] = (TRADE_ID_PREFIX.length + sp[TradeSpan.T_ID + 1]! - sp[TradeSpan.T_ID]!) << 1;
    pos = copy(buf, pos, TRADE_ID_PREFIX);
    pos = copySpan(buf, pos, frame, sp[TradeSpan.T_ID]!, sp[TradeSpan.T_ID + 1]!);
    pos = copy(buf, pos, sym.head);
    pos = writeLong(buf, pos, ev.T * 1000); // T <= MAX_TIMESTAMP_MILLIS: exact
    pos = writeDecimal(buf, pos, this.price);
    pos = writeDecimal(buf, pos, this.quantity);
    pos = copy(buf, pos, sym.quote);
    buf[pos++] = (ev.m ? layout.sell : layout.buy) << 1;
    buf[pos++] = 0; // trade_conditions: []
    buf[pos++] = 2; // source_sequence: the long branch
    pos = writeLong(buf, pos, ev.t);
    pos = writeLong(buf, pos, this.ingestion);
    buf[pos++] = 0; // platform_sequence: null
    // vendor_data: the map branch, then one block of its entries, in tradeEventToV2's order
    buf[pos++] = 2;
    const entries = 6 + (ev.M !== undefined ? 1 : 0) + (ev.b !== undefined ? 1 : 0) + (ev.a !== undefined ? 1 : 0);
    buf[pos++] = entries << 1;
    pos = copy(buf, pos, ev.m ? sym.vendorMaker : sym.vendorTaker);
    pos = writeDigitString(buf, pos, frame, sp, TradeSpan.E);
    pos = copy(buf, pos, TRADE_TIME);
    pos = writeDigitString(buf, pos, frame, sp, TradeSpan.T);
    if (ev.M !== undefined) pos = copy(buf, pos, ev.M ? IS_BEST_MATCH_TRUE : IS_BEST_MATCH_FALSE);
    if (ev.b !== undefined) {
      pos = copy(buf, pos, BUYER_ORDER_ID);
      pos = writeDigitString(buf, pos, frame, sp, TradeSpan.B);
    }
    if (ev.a !== undefined) {
      pos = copy(buf, pos, SELLER_ORDER_ID);
      pos = writeDigitString(buf, pos, frame, sp, TradeSpan.A);
    }
    buf[pos++] = 0; // end of the map's blocks
    return pos;
  }

  /** The fixed bytes of a symbol (remembered), or null when its quote asset is unknown. */
  private bytesOf(symbol: string): SymbolBytes | null {
    if (symbol === this.lastSymbol) return this.lastBytes;
    let bytes = this.symbols.get(symbol);
    if (bytes === undefined) {
      bytes = null;
      try {
        const { base, quote } = splitSymbol(symbol);
        // symbols are [A-Z0-9]{2,30} (the scanner's check): ASCII, one length byte
        const assets = ['base_asset', base, 'quote_asset', quote];
        bytes = {
          head: Buffer.concat([avroAscii(symbol, BINANCE_EXCHANGE), Buffer.from([this.layout!.crypto << 1])]),
          quote: avroAscii(quote),
          vendorMaker: avroAscii(...assets, 'is_buyer_maker', 'true', 'event_type', 'trade', 'event_time'),
          vendorTaker: avroAscii(...assets, 'is_buyer_maker', 'false', 'event_type', 'trade', 'event_time'),
        };
      } catch {
        bytes = null; // tradeEventToV2 throws for it: the record path explains
      }
      if (this.symbols.size < 10_000) this.symbols.set(symbol, bytes);
    }
    this.lastSymbol = symbol;
    this.lastBytes = bytes;
    return bytes;
  }
}
