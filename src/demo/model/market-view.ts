/**
 * The demo's view of the market, built from received events: the live tape and
 * per-symbol figures (last, change since the demo started, msg/s, 1-minute VWAP,
 * a price sparkline). Exact arithmetic on scaled bigints; only the sparkline
 * shape uses floats.
 */
import { SCALE_FACTOR, type Scaled } from '../../model/decimal.js';
import type { Micros } from '../../model/trade.js';
import type { DemoEvent, DemoTrade } from '../types.js';

export const TAPE_SIZE = 200;
const VWAP_WINDOW_US = 60_000_000n;
const RATE_WINDOW_US = 10_000_000n;
export const SPARK_POINTS = 24;
const SPARK_STEP_US = 5_000_000n; // 24 x 5 s = the last two minutes

export interface SymbolFigures {
  symbol: string;
  trades: number;
  last: Scaled | null;
  /** last - first price seen since the demo started. */
  change: Scaled | null;
  /** change relative to the first price, in basis points (display only). */
  changeBps: number | null;
  /** Messages (trades and quotes) per second over the last 10 s. */
  msgsPerSecond: number;
  /** Volume-weighted average price of the trades in the last minute. */
  vwap1m: Scaled | null;
  spark: number[];
}

export interface MarketSnapshot {
  at: Micros;
  tape: DemoTrade[];
  symbols: SymbolFigures[];
  totalTrades: number;
  totalQuotes: number;
}

interface SymbolState {
  first: Scaled | null;
  last: Scaled | null;
  trades: number;
  /** Trades of the last minute, oldest first. */
  window: DemoTrade[];
  /** Receive times of the last 10 s of messages. */
  messages: Micros[];
  /** Receive time of the first message, so early rates are not diluted. */
  firstMessageAt: Micros | null;
  /** Last price per 5 s bucket: bucket index -> price. */
  buckets: Map<bigint, Scaled>;
}

export class MarketView {
  private readonly tape: DemoTrade[] = [];
  private readonly states = new Map<string, SymbolState>();
  private totalTrades = 0;
  private totalQuotes = 0;

  constructor(readonly symbols: readonly string[]) {
    for (const s of symbols) this.state(s);
  }

  ingest(event: DemoEvent): void {
    if (event.kind === 'quote') {
      this.totalQuotes++;
      const qs = this.state(event.quote.symbol);
      qs.messages.push(event.quote.receivedAt);
      qs.firstMessageAt ??= event.quote.receivedAt;
      return;
    }
    const t = event.trade;
    this.totalTrades++;
    const st = this.state(t.symbol);
    st.first ??= t.price;
    st.last = t.price;
    st.trades++;
    st.window.push(t);
    st.messages.push(t.receivedAt);
    st.firstMessageAt ??= t.receivedAt;
    st.buckets.set(t.receivedAt / SPARK_STEP_US, t.price);
    this.tape.push(t);
    if (this.tape.length > TAPE_SIZE * 2) this.tape.splice(0, this.tape.length - TAPE_SIZE);
  }

  snapshot(now: Micros): MarketSnapshot {
    const symbols = this.symbolOrder().map((symbol) => this.figures(symbol, now));
    return { at: now, tape: this.tape.slice(-TAPE_SIZE), symbols, totalTrades: this.totalTrades, totalQuotes: this.totalQuotes };
  }

  /** Trades received per symbol so far. */
  tradeCounts(): Record<string, number> {
    return Object.fromEntries(this.symbolOrder().map((s) => [s, this.states.get(s)!.trades]));
  }

  get quotes(): number {
    return this.totalQuotes;
  }

  private symbolOrder(): string[] {
    return [...this.states.keys()];
  }

  private figures(symbol: string, now: Micros): SymbolFigures {
    const st = this.states.get(symbol)!;
    dropBefore(st.window, now - VWAP_WINDOW_US, (t) => t.receivedAt);
    dropBefore(st.messages, now - RATE_WINDOW_US, (m) => m);
    let notional = 0n; // units of 1e-16
    let volume = 0n; // units of 1e-8
    for (const t of st.window) {
      notional += t.price * t.quantity;
      volume += t.quantity;
    }
    const change = st.last !== null && st.first !== null ? st.last - st.first : null;
    const changeBps = change !== null && st.first !== null && st.first !== 0n ? Number((change * 1_000_000n) / st.first) / 100 : null;
    return {
      symbol,
      trades: st.trades,
      last: st.last,
      change,
      changeBps,
      msgsPerSecond: st.messages.length / rateSeconds(st.firstMessageAt, now),
      vwap1m: volume > 0n ? divideRounded(notional, volume) : null,
      spark: this.spark(st, now),
    };
  }

  private spark(st: SymbolState, now: Micros): number[] {
    const lastBucket = now / SPARK_STEP_US;
    for (const k of st.buckets.keys()) if (k <= lastBucket - BigInt(SPARK_POINTS)) st.buckets.delete(k);
    const out: number[] = [];
    let carry: Scaled | null = null;
    for (let k = lastBucket - BigInt(SPARK_POINTS) + 1n; k <= lastBucket; k++) {
      const p: Scaled | null = st.buckets.get(k) ?? carry;
      if (p !== null) {
        out.push(Number(p) / Number(SCALE_FACTOR));
        carry = p;
      }
    }
    return out;
  }

  private state(symbol: string): SymbolState {
    let st = this.states.get(symbol);
    if (st === undefined) {
      st = { first: null, last: null, trades: 0, window: [], messages: [], firstMessageAt: null, buckets: new Map() };
      this.states.set(symbol, st);
    }
    return st;
  }
}

/** (a / b) rounded half away from zero; a in 1e-16 units and b in 1e-8 units give 1e-8 units. */
export function divideRounded(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  return 2n * (r < 0n ? -r : r) >= (b < 0n ? -b : b) ? q + (a < 0n === b < 0n ? 1n : -1n) : q;
}

/** The rate window in seconds, shorter while the symbol has been receiving for less than the window (at least 1 s). */
function rateSeconds(firstMessageAt: Micros | null, now: Micros): number {
  if (firstMessageAt === null) return Number(RATE_WINDOW_US) / 1e6;
  const span = now - firstMessageAt;
  const window = span < RATE_WINDOW_US ? span : RATE_WINDOW_US;
  return Math.max(1, Number(window) / 1e6);
}

function dropBefore<T>(items: T[], cutoff: Micros, time: (item: T) => Micros): void {
  let n = 0;
  while (n < items.length && time(items[n]!) < cutoff) n++;
  if (n > 0) items.splice(0, n);
}
