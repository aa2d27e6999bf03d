/**
 * Binance WebSocket text frames -> v2 records.
 *
 * Accepts combined-stream frames {"stream":"btcusdt@trade","data":{...}} (what
 * k2 subscribes to) and raw single-stream payloads. Never throws for bad input:
 * a malformed or unknown frame comes back as an `error` outcome carrying a typed
 * BinanceMessageError, so one bad frame cannot stop a live capture.
 */
import { randomUUID } from 'node:crypto';
import { nowMicros } from '../../model/time.js';
import type { Micros } from '../../model/trade.js';
import type { TaggedRecord } from '../../model/record-kind.js';
import { BinanceMessageError } from './errors.js';
import type { BinanceChannel, BinanceMapper, MapContext } from './mapper.js';
import { aggTradeMapper } from './mappers/agg-trade-mapper.js';
import { bookTickerMapper } from './mappers/book-ticker-mapper.js';
import { tradeMapper } from './mappers/trade-mapper.js';
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

  constructor(opts: FrameConverterOptions = {}) {
    for (const m of opts.mappers ?? DEFAULT_MAPPERS) this.mappers.set(m.channel, m);
    this.now = opts.now ?? nowMicros;
    this.ctx = { ingestionMicros: 0n, newMessageId: opts.newMessageId ?? randomUUID };
  }

  /** Parses and converts one text frame. */
  convertText(text: string, ingestionMicros?: Micros): FrameOutcome {
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
    let data: JsonObject;
    let channel: string;
    let streamSymbol: string | null = null;
    const stream = value.stream;
    if (typeof stream === 'string' && isObject(value.data)) {
      data = value.data;
      const at = stream.indexOf('@');
      if (at <= 0) return fail('invalid_frame', `stream name without @channel: ${JSON.stringify(stream)}`, { stream });
      streamSymbol = stream.slice(0, at);
      const rest = stream.slice(at + 1);
      const at2 = rest.indexOf('@');
      channel = at2 < 0 ? rest : rest.slice(0, at2);
      if (data.e === 'serverShutdown') return { type: 'control', event: 'serverShutdown' };
    } else if ('stream' in value || 'data' in value) {
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
    const mapper = this.mappers.get(channel);
    if (mapper === undefined) {
      const eventType = typeof data.e === 'string' ? data.e : channel;
      return fail('unknown_event', `unknown Binance channel or event ${JSON.stringify(eventType || '(none)')}`, {
        stream: typeof stream === 'string' ? stream : undefined,
        event_type: eventType,
      });
    }
    this.ctx.ingestionMicros = ingestionMicros ?? this.now();
    let tagged: TaggedRecord;
    try {
      tagged = mapper.map(data, this.ctx);
    } catch (err) {
      if (err instanceof BinanceMessageError) {
        if (typeof stream === 'string') (err.context as Record<string, unknown>).stream ??= stream;
        return { type: 'error', error: err };
      }
      throw err;
    }
    if (streamSymbol !== null && streamSymbol !== tagged.record.symbol.toLowerCase()) {
      return fail('invalid_frame', `stream ${JSON.stringify(stream)} carries symbol ${tagged.record.symbol}`, {
        stream: stream as string,
        symbol: tagged.record.symbol,
      });
    }
    return { type: 'record', channel: mapper.channel, tagged };
  }
}

function fail(type: BinanceMessageError['errorType'], message: string, context: Record<string, string | undefined>): FrameOutcome {
  return { type: 'error', error: new BinanceMessageError(type, message, context) };
}

function preview(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
