/**
 * zod schemas of the Binance spot WebSocket payloads k2 consumes. They are the
 * contract: the hand-written fast checks in mappers/ accept exactly what these
 * accept (test/binance/fast-path-equivalence.test.ts proves it on the fixture and
 * on mutated frames), the frame scanner (combined-frame-scanner.ts) only yields
 * events these accept (test/binance/combined-frame-scanner.test.ts), and every
 * rejected payload is explained by these schemas.
 */
import { z } from 'zod';
import { MAX_TIMESTAMP_MILLIS } from '../../model/time.js';

/** A non-negative integer id that a JS number holds exactly. */
const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Epoch milliseconds. */
const millis = z.number().int().nonnegative().max(MAX_TIMESTAMP_MILLIS, 'a time after the year 2255 (beyond the v2 microsecond timestamps)');
/** Binance sends prices and quantities as decimal strings. */
const decimalText = z.string().min(1).max(64);
const symbol = z.string().regex(/^[A-Z0-9]{2,30}$/);

/** Combined-stream envelope: {"stream":"btcusdt@trade","data":{...}}. */
export const combinedFrameSchema = z.object({
  stream: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});
export type CombinedFrame = z.infer<typeof combinedFrameSchema>;

/** `<symbol>@trade` */
export const tradeEventSchema = z.object({
  e: z.literal('trade'),
  E: millis,
  s: symbol,
  t: id,
  p: decimalText,
  q: decimalText,
  T: millis,
  m: z.boolean(),
  M: z.boolean().optional(),
  b: id.optional(),
  a: id.optional(),
});
export type TradeEvent = z.infer<typeof tradeEventSchema>;

/** `<symbol>@aggTrade` */
export const aggTradeEventSchema = z.object({
  e: z.literal('aggTrade'),
  E: millis,
  s: symbol,
  a: id,
  p: decimalText,
  q: decimalText,
  f: id,
  l: id,
  T: millis,
  m: z.boolean(),
  M: z.boolean().optional(),
});
export type AggTradeEvent = z.infer<typeof aggTradeEventSchema>;

/** `<symbol>@bookTicker` (spot has no event time; futures adds e, E, T). */
export const bookTickerEventSchema = z.object({
  e: z.literal('bookTicker').optional(),
  u: id,
  s: symbol,
  b: decimalText.nullable().optional(),
  B: decimalText.nullable().optional(),
  a: decimalText.nullable().optional(),
  A: decimalText.nullable().optional(),
  E: millis.optional(),
  T: millis.optional(),
});
export type BookTickerEvent = z.infer<typeof bookTickerEventSchema>;

/** Sent before the server goes away; the client must reconnect. */
export const serverShutdownEventSchema = z.object({
  e: z.literal('serverShutdown'),
  E: millis.optional(),
});

/** REST /api/v3/historicalTrades and /api/v3/trades rows. */
export const restTradeSchema = z.object({
  id,
  price: decimalText,
  qty: decimalText,
  quoteQty: decimalText.optional(),
  time: millis,
  isBuyerMaker: z.boolean(),
  isBestMatch: z.boolean().optional(),
});
export type RestTrade = z.infer<typeof restTradeSchema>;
export const restTradesSchema = z.array(restTradeSchema);

/** REST /api/v3/aggTrades rows. */
export const restAggTradeSchema = z.object({
  a: id,
  p: decimalText,
  q: decimalText,
  f: id,
  l: id,
  T: millis,
  m: z.boolean(),
  M: z.boolean().optional(),
});
export type RestAggTrade = z.infer<typeof restAggTradeSchema>;
export const restAggTradesSchema = z.array(restAggTradeSchema);

/** First zod issue as "path: message", for error contexts. */
export function describeIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { field: '', message: 'invalid' };
  return { field: issue.path.map(String).join('.'), message: issue.message };
}
