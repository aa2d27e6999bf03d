/**
 * Binance WebSocket text frames -> v2 records.
 *
 * Accepts combined-stream frames {"stream":"btcusdt@trade","data":{...}} (what
 * k2 subscribes to) and raw single-stream payloads. Never throws for bad input:
 * a malformed or unknown frame comes back as an `error` outcome carrying a typed
 * BinanceMessageError, so one bad frame cannot stop a live capture.
 */
import { nowMicros } from '../../model/time.js';
import type { Micros } from '../../model/trade.js';
import type { TaggedRecord } from '../../model/record-kind.js';
import { BinanceMessageError } from './errors.js';
import { newMessageId } from './message-id.js';
import type { BinanceChannel, BinanceMapper, MapContext } from './mapper.js';
import { aggTradeEventToV2, aggTradeMapper } from './mappers/agg-trade-mapper.js';
import { bookTickerEventToV2, bookTickerMapper } from './mappers/book-ticker-mapper.js';
import { tradeEventToV2, tradeMapper } from './mappers/trade-mapper.js';
import { CombinedFrameScanner, type ScannedChannel, type ScannedTrade } from './combined-frame-scanner.js';
import { combinedFrameSchema, describeIssue } from './schemas.js';

export const DEFAULT_MAPPERS: readonly BinanceMapper[] = [tradeMapper, aggTradeMapper, bookTickerMapper];

export type ControlEvent = 'serverShutdown' | 'subscription_response';

export type FrameOutcome =
  | { type: 'record'; channel: BinanceChannel; tagged: TaggedRecord }
  | { type: 'control'; event: ControlEvent }
  | { type: 'error'; error: BinanceMessageError };

export interface FrameConverterOptions {
  /** Receive-time clock (UTC micros); defaults to the system clock. */
  now?: () => Micros;
  newMessageId?: () => string;
  mappers?: readonly BinanceMapper[];
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export class BinanceFrameConverter {
  private readonly mappers = new Map<string, BinanceMapper>();
  private readonly now: () => Micros;
  private readonly ctx: MapContext;
  private readonly scanner = new CombinedFrameScanner();
  /** Channels whose mapper is the default one, so the scanner's fast path may serve them. */
  private readonly fastChannels: Record<ScannedChannel, boolean>;
  private lastSymbol = '';
  private lastSymbolLower = '';

  constructor(opts: FrameConverterOptions = {}) {
    for (const m of opts.mappers ?? DEFAULT_MAPPERS) this.mappers.set(m.channel, m);
    this.now = opts.now ?? nowMicros;
    this.ctx = { ingestionMicros: 0n, newMessageId: opts.newMessageId ?? newMessageId };
    this.fastChannels = {
      trade: this.mappers.get('trade') === tradeMapper,
      aggTrade: this.mappers.get('aggTrade') === aggTradeMapper,
      bookTicker: this.mappers.get('bookTicker') === bookTickerMapper,
    };
  }

  /**
   * Parses and converts one text frame.
   *
   * Fast path: a well-formed combined @trade/@aggTrade/@bookTicker frame is read by
   * the scanner straight into a schema-valid event and mapped by the same
   * `*EventToV2` function the zod path uses. It only ever yields records: a frame
   * the scanner declines, or whose mapping throws, takes the general path below
   * (JSON.parse, zod, typed errors), so every error outcome comes from there.
   */
  convertText(text: string, ingestionMicros?: Micros): FrameOutcome {
    return this.convertAfterScan(text, this.scan(Buffer.from(text, 'utf8')), ingestionMicros);
  }

  /** convertText for a text frame's UTF-8 bytes, as the WebSocket delivered them. */
  convertFrame(frame: Uint8Array, ingestionMicros?: Micros): FrameOutcome {
    return this.convertAfterScan(frame, this.scan(frame), ingestionMicros);
  }

  /**
   * convertFrame in two steps, for a caller that looks at a scanned @trade itself first
   * (the stream client's direct encoding): `scan` reads the frame's bytes and tells which
   * fast-path channel it is (null: the general path's), `scannedTrade` is then the
   * @trade's view (valid until the next scan), and `convertAfterScan` finishes the conversion.
   */
  scan(frame: Uint8Array): ScannedChannel | null {
    const channel = this.scanner.scan(frame);
    return channel !== null && this.fastChannels[channel] ? channel : null;
  }

  /** The @trade of the last scan that returned 'trade': its frame, spans and numbers (valid until the next scan). */
  get scannedTrade(): ScannedTrade {
    return this.scanner;
  }

  /**
   * The outcome of a frame (its text, or its UTF-8 bytes: the general path decodes them only
   * when it runs), given what scan() returned for it, with nothing scanned since.
   */
  convertAfterScan(frame: Uint8Array | string, channel: ScannedChannel | null, ingestionMicros?: Micros): FrameOutcome {
    if (channel !== null) {
      const fast = this.convertScanned(channel, ingestionMicros);
      if (fast !== null) return fast;
    }
    return this.convertGeneral(typeof frame === 'string' ? frame : frameText(frame), ingestionMicros);
  }

  private convertScanned(channel: ScannedChannel, ingestionMicros: Micros | undefined): FrameOutcome | null {
    this.ctx.ingestionMicros = ingestionMicros ?? this.now();
    try {
      let tagged: TaggedRecord;
      if (channel === 'trade') tagged = { kind: 'trades', record: tradeEventToV2(this.scanner.trade, this.ctx) };
      else if (channel === 'aggTrade') tagged = { kind: 'trades', record: aggTradeEventToV2(this.scanner.aggTrade, this.ctx) };
      else tagged = { kind: 'quotes', record: bookTickerEventToV2(this.scanner.bookTicker, this.ctx) };
      return { type: 'record', channel, tagged };
    } catch {
      return null; // the general path explains it
    }
  }

  /** JSON.parse, then the zod contracts: the reference path, and the only one that reports errors. */
  convertGeneral(text: string, ingestionMicros?: Micros): FrameOutcome {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return fail('malformed_json', `frame is not JSON: ${(err as Error).message}`, { frame: preview(text) });
    }
    return this.convertValue(value, ingestionMicros);
  }

  /** Converts an already-parsed frame. */
  convertValue(value: unknown, ingestionMicros?: Micros): FrameOutcome {
    if (!isObject(value)) return fail('invalid_frame', 'frame is not a JSON object', {});
    const stream = value.stream;
    if (typeof stream === 'string' && isObject(value.data)) return this.convertCombined(stream, value.data, ingestionMicros);
    let data: JsonObject;
    let channel: string;
    if ('stream' in value || 'data' in value) {
      const r = combinedFrameSchema.safeParse(value);
      const { field, message } = r.success ? { field: 'data', message: 'invalid' } : describeIssue(r.error);
      return fail('invalid_frame', `combined-stream frame: ${field}: ${message}`, { field });
    } else if (value.e === 'serverShutdown') {
      return { type: 'control', event: 'serverShutdown' };
    } else if ('result' in value && 'id' in value) {
      return { type: 'control', event: 'subscription_response' };
    } else {
      // A raw single-stream payload: the channel is its event type (bookTicker has none on spot).
      data = value;
      channel = typeof value.e === 'string' ? value.e : 'u' in value && 's' in value ? 'bookTicker' : '';
    }
    return this.convertPayload(channel, data, null, null, ingestionMicros);
  }

  /** The `data` of a combined-stream frame: the channel and the symbol come from the stream name. */
  private convertCombined(stream: string, data: JsonObject, ingestionMicros: Micros | undefined): FrameOutcome {
    const at = stream.indexOf('@');
    if (at <= 0) return fail('invalid_frame', `stream name without @channel: ${JSON.stringify(stream)}`, { stream });
    const streamSymbol = stream.slice(0, at);
    const at2 = stream.indexOf('@', at + 1);
    const channel = at2 < 0 ? stream.slice(at + 1) : stream.slice(at + 1, at2);
    if (data.e === 'serverShutdown') return { type: 'control', event: 'serverShutdown' };
    return this.convertPayload(channel, data, stream, streamSymbol, ingestionMicros);
  }

  private convertPayload(channel: string, data: JsonObject, stream: string | null, streamSymbol: string | null, ingestionMicros: Micros | undefined): FrameOutcome {
    const mapper = this.mappers.get(channel);
    if (mapper === undefined) {
      const eventType = typeof data.e === 'string' ? data.e : channel;
      return fail('unknown_event', `unknown Binance channel or event ${JSON.stringify(eventType || '(none)')}`, {
        stream: stream ?? undefined,
        event_type: eventType,
      });
    }
    this.ctx.ingestionMicros = ingestionMicros ?? this.now();
    let tagged: TaggedRecord;
    try {
      tagged = mapper.map(data, this.ctx);
    } catch (err) {
      if (err instanceof BinanceMessageError) {
        if (stream !== null) (err.context as Record<string, unknown>).stream ??= stream;
        return { type: 'error', error: err };
      }
      throw err;
    }
    if (streamSymbol !== null && streamSymbol !== this.lowerCase(tagged.record.symbol)) {
      return fail('invalid_frame', `stream ${JSON.stringify(stream)} carries symbol ${tagged.record.symbol}`, {
        stream: stream ?? undefined,
        symbol: tagged.record.symbol,
      });
    }
    return { type: 'record', channel: mapper.channel, tagged };
  }

  /** symbol.toLowerCase(), remembered for the last symbol seen (frames come in runs of one symbol). */
  private lowerCase(symbol: string): string {
    if (symbol !== this.lastSymbol) {
      this.lastSymbol = symbol;
      this.lastSymbolLower = symbol.toLowerCase();
    }
    return this.lastSymbolLower;
  }
}

function fail(type: BinanceMessageError['errorType'], message: string, context: Record<string, string | undefined>): FrameOutcome {
  return { type: 'error', error: new BinanceMessageError(type, message, context) };
}

/** A text frame's UTF-8 bytes as a string. */
export function frameText(frame: Uint8Array): string {
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('utf8');
}

function preview(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
