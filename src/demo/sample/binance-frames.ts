/**
 * The Binance spot combined-stream frame shapes the sample session and the replay
 * server use, validated with zod where they are read back. These are exactly the
 * public payloads: `<symbol>@trade` and `<symbol>@bookTicker` (spot bookTicker has
 * no event time), wrapped as `{"stream": ..., "data": ...}`.
 */
import { z } from 'zod';

const decimalString = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal string');

export const tradeDataSchema = z.object({
  e: z.literal('trade'),
  E: z.number().int().nonnegative(),
  s: z.string().min(1),
  t: z.number().int().nonnegative(),
  p: decimalString,
  q: decimalString,
  T: z.number().int().nonnegative(),
  m: z.boolean(),
  M: z.boolean(),
});
export type BinanceTradeData = z.infer<typeof tradeDataSchema>;

export const bookTickerDataSchema = z.object({
  u: z.number().int().nonnegative(),
  s: z.string().min(1),
  b: decimalString,
  B: decimalString,
  a: decimalString,
  A: decimalString,
});
export type BinanceBookTickerData = z.infer<typeof bookTickerDataSchema>;

export const combinedFrameSchema = z.union([
  z.object({ stream: z.string().regex(/^[a-z0-9]+@trade$/), data: tradeDataSchema }),
  z.object({ stream: z.string().regex(/^[a-z0-9]+@bookTicker$/), data: bookTickerDataSchema }),
]);
export type CombinedFrame =
  | { stream: string; data: BinanceTradeData }
  | { stream: string; data: BinanceBookTickerData };

export function isTradeData(data: BinanceTradeData | BinanceBookTickerData): data is BinanceTradeData {
  return 'e' in data && data.e === 'trade';
}

/** The stream name Binance uses for a symbol and channel, e.g. btcusdt@trade. */
export function streamName(symbol: string, channel: 'trade' | 'bookTicker'): string {
  return `${symbol.toLowerCase()}@${channel}`;
}
