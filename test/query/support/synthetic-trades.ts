/**
 * Deterministic synthetic trades and quotes for query tests, and brute-force
 * reference answers computed from them with bigints (no DuckDB, no floats).
 */
import { DateTime } from 'luxon';
import type { AssetClass, TradeSide } from '../../../src/model/enums.js';
import type { QuoteV2 } from '../../../src/model/quote.js';
import type { TradeV2 } from '../../../src/model/trade.js';
import { prng } from '../../support/prng.js';

export interface Instrument {
  symbol: string;
  exchange: string;
  currency: string;
  assetClass: AssetClass;
  zone: string;
  /** Session in local time, [open, close) hours. */
  hours: [number, number];
  basePrice: bigint;
}

export const INSTRUMENTS: Instrument[] = [
  { symbol: 'BHP', exchange: 'ASX', currency: 'AUD', assetClass: 'equities', zone: 'Australia/Sydney', hours: [10, 16], basePrice: 36_51000000n },
  { symbol: 'CBA', exchange: 'ASX', currency: 'AUD', assetClass: 'equities', zone: 'Australia/Sydney', hours: [10, 16], basePrice: 74_12000000n },
  { symbol: 'BTCUSDT', exchange: 'BINANCE', currency: 'USDT', assetClass: 'crypto', zone: 'UTC', hours: [0, 24], basePrice: 42156_12345678n },
];

export { prng };

/** A deterministic, valid UUID (version 4 layout) from a number and a namespace digit. */
export function fakeUuid(n: number, ns = 0): string {
  const hex = n.toString(16).padStart(12, '0');
  return `0000000${ns}-0000-4000-8000-${hex}`;
}

let uuidCounter = 0;

export function syntheticTrades(opts: { dates: string[]; perDay: number; seed?: number; instruments?: Instrument[]; idPrefix?: string }): TradeV2[] {
  const rand = prng(opts.seed ?? 7);
  const out: TradeV2[] = [];
  for (const ins of opts.instruments ?? INSTRUMENTS) {
    let seq = 0n;
    for (const date of opts.dates) {
      const open = DateTime.fromISO(date, { zone: ins.zone }).set({ hour: ins.hours[0] });
      const spanMs = (ins.hours[1] - ins.hours[0]) * 3_600_000;
      const times = Array.from({ length: opts.perDay }, () => Math.floor(rand() * spanMs)).sort((a, b) => a - b);
      for (const t of times) {
        seq++;
        const micros = BigInt(open.toMillis() + t) * 1000n + BigInt(Math.floor(rand() * 1000));
        const price = ins.basePrice + BigInt(Math.floor((rand() - 0.5) * 2_000_000_000)) + BigInt(Math.floor(rand() * 1e8)) ;
        const quantity = BigInt(1 + Math.floor(rand() * 5000)) * 100_000_000n + BigInt(Math.floor(rand() * 1e8));
        const side: TradeSide = rand() < 0.5 ? 'BUY' : 'SELL';
        out.push({
          message_id: fakeUuid(++uuidCounter, 1),
          trade_id: `${opts.idPrefix ?? 't'}-${ins.symbol}-${seq}`,
          symbol: ins.symbol,
          exchange: ins.exchange,
          asset_class: ins.assetClass,
          timestamp: micros,
          price,
          quantity,
          currency: ins.currency,
          side,
          trade_conditions: rand() < 0.2 ? ['XT'] : [],
          source_sequence: seq,
          ingestion_timestamp: micros + 1000n,
          platform_sequence: null,
          vendor_data: rand() < 0.1 ? { venue: 'X' } : null,
        });
      }
    }
  }
  return out;
}

export function syntheticQuotes(trades: readonly TradeV2[]): QuoteV2[] {
  return trades.map((t, i) => ({
    message_id: fakeUuid(i + 1, 2),
    quote_id: `q-${i}`,
    symbol: t.symbol,
    exchange: t.exchange,
    asset_class: t.asset_class,
    timestamp: t.timestamp,
    bid_price: t.price - 1000000n,
    bid_quantity: t.quantity,
    ask_price: i % 7 === 0 ? null : t.price + 1000000n,
    ask_quantity: i % 7 === 0 ? null : t.quantity,
    currency: t.currency,
    source_sequence: t.source_sequence,
    ingestion_timestamp: t.ingestion_timestamp,
    platform_sequence: null,
    vendor_data: null,
  }));
}

const fmt8 = (v: bigint): string => {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / 100_000_000n}.${(a % 100_000_000n).toString().padStart(8, '0')}`;
};
export { fmt8 };

function tradeOrder(a: TradeV2, b: TradeV2): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  const sa = a.source_sequence ?? -1n;
  const sb = b.source_sequence ?? -1n;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.trade_id < b.trade_id ? -1 : a.trade_id > b.trade_id ? 1 : 0;
}

export interface ReferenceOhlcv {
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trade_count: string;
  notional: string;
  vwap: string;
}

/** OHLCV, exact volume and notional, and VWAP rounded half-even to 8 places. */
export function referenceOhlcv(trades: readonly TradeV2[]): ReferenceOhlcv | null {
  if (trades.length === 0) return null;
  const sorted = [...trades].sort(tradeOrder);
  let hi = sorted[0]!.price;
  let lo = sorted[0]!.price;
  let vol = 0n;
  let notional16 = 0n;
  for (const t of sorted) {
    if (t.price > hi) hi = t.price;
    if (t.price < lo) lo = t.price;
    vol += t.quantity;
    notional16 += t.price * t.quantity;
  }
  // vwap at scale 8 = notional(scale 16) / volume(scale 8), rounded half-even
  const num = notional16;
  let q = num / vol;
  const r = num % vol;
  if (2n * r > vol || (2n * r === vol && q % 2n !== 0n)) q += 1n;
  const n8 = formatScale16(notional16);
  return {
    open: fmt8(sorted[0]!.price),
    high: fmt8(hi),
    low: fmt8(lo),
    close: fmt8(sorted[sorted.length - 1]!.price),
    volume: fmt8(vol),
    trade_count: String(sorted.length),
    notional: n8,
    vwap: fmt8(q),
  };
}

function formatScale16(v: bigint): string {
  let u = v;
  let scale = 16;
  while (scale > 8 && u % 10n === 0n) {
    u /= 10n;
    scale--;
  }
  const neg = u < 0n;
  const digits = (neg ? -u : u).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** [from, to) micros of a local calendar date. */
export function localDay(date: string, zone: string): { from: bigint; to: bigint } {
  const s = DateTime.fromISO(date, { zone });
  return { from: BigInt(s.toMillis()) * 1000n, to: BigInt(s.plus({ days: 1 }).toMillis()) * 1000n };
}
