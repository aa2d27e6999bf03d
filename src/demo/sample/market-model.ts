/**
 * The synthetic market model behind the bundled sample session. Per symbol:
 *
 * - mid price: a geometric random walk (annualised volatility per symbol) with a
 *   Brownian-bridge pull so the session ends where it started, which lets the
 *   replay loop without a price jump; taker orders also move the mid (impact);
 * - arrivals: taker orders follow a self-exciting Hawkes process (bursts) whose
 *   baseline switches between a calm and an active regime;
 * - each taker order fills 1..n maker orders at the same transaction time,
 *   walking up (buys) or down (sells) the book, with consecutive trade ids;
 * - sizes: log-normal notionals with a Pareto tail, rounded down to the lot size;
 * - order-flow sign persists (buys follow buys), and bookTicker updates are
 *   emitted between trades and after each order, consistent with the fills
 *   (a buy fills at the ask, a sell at the bid).
 *
 * Floats drive the model; every emitted price and quantity is an integer number
 * of ticks or lots formatted exactly, as Binance does (8 decimals).
 */
import { formatScaledFixed, parseScaled, type Scaled } from '../../model/decimal.js';
import type { BinanceBookTickerData, BinanceTradeData, CombinedFrame } from './binance-frames.js';
import { streamName } from './binance-frames.js';
import { SeededRandom } from './prng.js';

export interface SymbolSpec {
  symbol: string;
  /** Mid price at the start (and, by the bridge, the end) of the session. */
  startPrice: number;
  /** Exchange tick size and lot (step) size, as exact decimal strings. */
  tick: string;
  lot: string;
  annualVolatility: number;
  /** Target mean trades per minute. */
  tradesPerMinute: number;
  firstTradeId: number;
  firstUpdateId: number;
  /** Median notional (quote currency) of one fill. */
  medianNotional: number;
  /** Median notional resting at the best level. */
  depthNotional: number;
}

/** Realistic levels and exchange filters for the default demo symbols (late 2025). */
export const DEFAULT_SYMBOL_SPECS: readonly SymbolSpec[] = [
  {
    symbol: 'BTCUSDT', startPrice: 97_250, tick: '0.01', lot: '0.00001', annualVolatility: 0.55,
    tradesPerMinute: 420, firstTradeId: 5_012_345_678, firstUpdateId: 71_234_567_890, medianNotional: 180, depthNotional: 150_000,
  },
  {
    symbol: 'ETHUSDT', startPrice: 3_412.5, tick: '0.01', lot: '0.0001', annualVolatility: 0.7,
    tradesPerMinute: 300, firstTradeId: 2_456_789_012, firstUpdateId: 52_345_678_901, medianNotional: 140, depthNotional: 80_000,
  },
  {
    symbol: 'BNBUSDT', startPrice: 652.3, tick: '0.01', lot: '0.001', annualVolatility: 0.6,
    tradesPerMinute: 220, firstTradeId: 1_123_456_789, firstUpdateId: 33_456_789_012, medianNotional: 90, depthNotional: 25_000,
  },
];

export interface SessionEvent {
  /** Milliseconds since the session start when the frame is sent. */
  at: number;
  frame: CombinedFrame;
}

export interface GenerateOptions {
  seed: number;
  durationMs: number;
  specs?: readonly SymbolSpec[];
}

const SECONDS_PER_YEAR = 365 * 86_400;
const FILL_CONTINUE = 0.45; // P(another fill) after each fill: mean fills per order = 1 / (1 - 0.45)
const MAX_FILLS = 8;
const HAWKES_DECAY = 2.0; // per second
const HAWKES_BRANCHING = 0.65; // mean children per event; < 1 keeps it stationary
const QUOTE_RATE = 2.5; // background bookTicker updates per second
const SIDE_PERSISTENCE = 0.65;

/** Generates one symbol's frames, deterministic for (seed, spec). */
export function generateSymbolEvents(spec: SymbolSpec, seed: number, durationMs: number): SessionEvent[] {
  const rng = new SeededRandom(seed);
  const tickScaled: Scaled = parseScaled(spec.tick);
  const lotScaled: Scaled = parseScaled(spec.lot);
  const tick = Number(spec.tick);
  const lot = Number(spec.lot);
  const T = durationMs / 1000;
  const sigma = spec.annualVolatility / Math.sqrt(SECONDS_PER_YEAR);
  const meanFills = 1 / (1 - FILL_CONTINUE);
  const ordersPerSecond = spec.tradesPerMinute / 60 / meanFills;
  const baseMu = ordersPerSecond * (1 - HAWKES_BRANCHING);
  const excite = HAWKES_BRANCHING * HAWKES_DECAY;

  const x0 = Math.log(spec.startPrice);
  let x = x0; // log mid
  let now = 0; // seconds
  let excitation = 0;
  let regimeActive = true; // sessions open busy, so the demo has trades from its first second
  let regimeUntil = rng.exponential(1 / 60);
  let nextQuote = rng.exponential(QUOTE_RATE);
  let spreadTicks = 1;
  let lastSide: 1 | -1 = rng.bernoulli(0.5) ? 1 : -1;
  let tradeId = spec.firstTradeId;
  let updateId = spec.firstUpdateId;
  const events: SessionEvent[] = [];
  const trade = streamName(spec.symbol, 'trade');
  const book = streamName(spec.symbol, 'bookTicker');

  // Send times never go backwards within a symbol, so ids arrive in order.
  let lastSendMs = 0;
  const sendAt = (ms: number): number => (lastSendMs = Math.max(lastSendMs, ms));
  const regimeFactor = (): number => (regimeActive ? 1.6 : 0.6);
  const qtyLots = (notional: number, price: number): bigint => {
    const lots = Math.floor(notional / price / lot);
    return BigInt(Math.max(1, lots));
  };
  const bidTicks = (): bigint => BigInt(Math.floor(Math.exp(x) / tick - spreadTicks / 2));
  let publishedBid = -1n;
  let publishedSpread = 0;
  const emitBook = (atMs: number): void => {
    const bid = bidTicks();
    const ask = bid + BigInt(spreadTicks);
    publishedBid = bid;
    publishedSpread = spreadTicks;
    const price = Math.exp(x);
    const data: BinanceBookTickerData = {
      u: updateId++,
      s: spec.symbol,
      b: formatScaledFixed(bid * tickScaled),
      B: formatScaledFixed(qtyLots(rng.logNormal(spec.depthNotional, 1.0), price) * lotScaled),
      a: formatScaledFixed(ask * tickScaled),
      A: formatScaledFixed(qtyLots(rng.logNormal(spec.depthNotional, 1.0), price) * lotScaled),
    };
    events.push({ at: sendAt(atMs), frame: { stream: book, data } });
  };
  /** Diffuses the log mid over dt seconds with the bridge pull towards x0. */
  const diffuse = (dt: number): void => {
    if (dt <= 0) return;
    const remaining = Math.max(T - now, dt);
    const pull = -((x - x0) * dt) / remaining;
    const vol = sigma * (regimeActive ? 1.5 : 0.8);
    x += pull + vol * Math.sqrt(dt) * rng.normal();
  };
  const fillNotional = (): number =>
    rng.bernoulli(0.04) ? Math.min(rng.pareto(spec.medianNotional * 15, 1.3), 2_000_000) : rng.logNormal(spec.medianNotional, 1.3);

  emitBook(0);
  for (;;) {
    // Ogata thinning: the intensity only decays between events, so its current value bounds it.
    const lambdaMax = baseMu * regimeFactor() + excitation;
    const candidate = now + rng.exponential(lambdaMax);
    const nextEvent = Math.min(candidate, nextQuote, regimeUntil);
    if (nextEvent >= T - 0.01) break; // leaves room for the last event time
    diffuse(nextEvent - now);
    excitation *= Math.exp(-HAWKES_DECAY * (nextEvent - now));
    now = nextEvent;
    const atMs = Math.floor(now * 1000);
    if (nextEvent === regimeUntil) {
      regimeActive = !regimeActive;
      regimeUntil = now + rng.exponential(regimeActive ? 1 / 40 : 1 / 60);
      continue;
    }
    if (nextEvent === nextQuote) {
      spreadTicks = rng.bernoulli(0.85) ? 1 : rng.int(2, 4);
      emitBook(atMs);
      nextQuote = now + rng.exponential(QUOTE_RATE);
      continue;
    }
    // A candidate order arrival: accept with probability lambda(t) / lambdaMax.
    const lambda = baseMu * regimeFactor() + excitation;
    if (rng.uniform() * lambdaMax > lambda) continue;
    excitation += excite;
    const side: 1 | -1 = rng.bernoulli(SIDE_PERSISTENCE) ? lastSide : lastSide === 1 ? -1 : 1;
    lastSide = side;
    const transactMs = atMs;
    // One taker order: every fill shares the transaction time and the event time.
    const eventMs = sendAt(transactMs + rng.int(0, 2));
    // The book moved since it was last published: publish it first, so the fills match the quotes.
    if (bidTicks() !== publishedBid || spreadTicks !== publishedSpread) emitBook(eventMs);
    const bid = publishedBid;
    const best = side === 1 ? bid + BigInt(spreadTicks) : bid;
    let level = best;
    let fills = 1;
    while (fills < MAX_FILLS && rng.bernoulli(FILL_CONTINUE)) fills++;
    const price = Math.exp(x);
    for (let j = 0; j < fills; j++) {
      if (j > 0 && rng.bernoulli(0.4)) level += BigInt(side);
      const data: BinanceTradeData = {
        e: 'trade',
        E: eventMs,
        s: spec.symbol,
        t: tradeId++,
        p: formatScaledFixed(level * tickScaled),
        q: formatScaledFixed(qtyLots(fillNotional(), price) * lotScaled),
        T: transactMs,
        // m: the buyer is the maker, i.e. the taker sold.
        m: side === -1,
        M: true,
      };
      events.push({ at: data.E, frame: { stream: trade, data } });
    }
    // The order consumed the levels it walked; the mid follows, plus a little impact.
    const swept = Number(level - best) * side;
    const impactTicks = swept + 0.3 * Math.sqrt(fills);
    x = Math.log(Math.max(tick, price + side * impactTicks * tick));
    spreadTicks = swept > 0 ? rng.int(1, 3) : 1;
    emitBook(eventMs);
  }
  return events;
}

/** Generates the whole session, all symbols merged in send order. */
export function generateSession(opts: GenerateOptions): SessionEvent[] {
  const specs = opts.specs ?? DEFAULT_SYMBOL_SPECS;
  const perSymbol = specs.map((spec, i) =>
    generateSymbolEvents(spec, (opts.seed * 1_000_003 + i * 7919) >>> 0, opts.durationMs).map((e, seq) => ({ e, i, seq })),
  );
  const all = perSymbol.flat();
  all.sort((p, q) => p.e.at - q.e.at || p.i - q.i || p.seq - q.seq);
  return all.map((p) => p.e);
}
