/**
 * One small mapper per Binance channel (the tardis-node idea): each knows its
 * payload schema and how to turn one payload into v2 records. Adding a channel or
 * a venue adds files; nothing else changes.
 */
import type { Micros } from '../../model/trade.js';
import type { TaggedRecord } from '../../model/record-kind.js';

export const BINANCE_CHANNELS = ['trade', 'aggTrade', 'bookTicker'] as const;
export type BinanceChannel = (typeof BINANCE_CHANNELS)[number];

export function isBinanceChannel(value: string): value is BinanceChannel {
  return (BINANCE_CHANNELS as readonly string[]).includes(value);
}

export const BINANCE_EXCHANGE = 'BINANCE';

/** What a mapper needs besides the payload: the receive time and an id source. */
export interface MapContext {
  /** When k2 received the frame, UTC micros. */
  ingestionMicros: Micros;
  /** A fresh message_id (UUID). */
  newMessageId(): string;
}

export interface BinanceMapper {
  readonly channel: BinanceChannel;
  /** Maps one `data` payload; throws BinanceMessageError when it does not fit the channel's schema. */
  map(data: Record<string, unknown>, ctx: MapContext): TaggedRecord;
}
