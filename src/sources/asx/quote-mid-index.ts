/**
 * The prevailing midquote of a symbol at an instant, for Lee-Ready side inference.
 *
 * Every quote is kept (in time order, file order among equal timestamps), usable or
 * not: the prevailing quote for a trade is the LAST quote strictly before the trade
 * time on the same local trading day. A quote at exactly the trade's timestamp is
 * not used: in ASX data the book update caused by a trade carries the same or a
 * later timestamp, so it describes the book after the trade. If the prevailing quote
 * is one-sided (a 0 side), locked (bid = ask) or crossed (bid > ask), as in the
 * pre-open auction, there is no usable mid and the trade falls back to the tick
 * test; an older, stale quote is deliberately not used instead.
 */
import type { Scaled } from '../../model/decimal.js';

/** mid2 value meaning "the prevailing quote has no usable mid". */
const UNUSABLE = -1n;

interface SymbolQuotes {
  ts: Float64Array;
  /** bid + ask (twice the mid, so it stays an exact scaled integer), or UNUSABLE. */
  mid2: BigInt64Array;
}

/** Growable columns of one symbol's quotes (typed arrays: ~16 bytes per quote). */
class Pending {
  ts = new Float64Array(1024);
  mid2 = new BigInt64Array(1024);
  length = 0;

  push(ts: number, mid2: bigint): void {
    if (this.length === this.ts.length) {
      const ts2 = new Float64Array(this.length * 2);
      ts2.set(this.ts);
      this.ts = ts2;
      const m2 = new BigInt64Array(this.length * 2);
      m2.set(this.mid2);
      this.mid2 = m2;
    }
    this.ts[this.length] = ts;
    this.mid2[this.length] = mid2;
    this.length++;
  }
}

export class QuoteMidIndexBuilder {
  private readonly pending = new Map<string, Pending>();

  /** Adds one quote; `tsMicros` is UTC micros as a number (exact). */
  add(symbol: string, tsMicros: number, bid: Scaled | null, ask: Scaled | null): void {
    let p = this.pending.get(symbol);
    if (p === undefined) {
      p = new Pending();
      this.pending.set(symbol, p);
    }
    p.push(tsMicros, bid !== null && ask !== null && bid > 0n && ask > 0n && bid < ask ? bid + ask : UNUSABLE);
  }

  get size(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.length;
    return n;
  }

  build(): QuoteMidIndex {
    const out = new Map<string, SymbolQuotes>();
    for (const [symbol, p] of this.pending) {
      const n = p.length;
      let sorted = true;
      for (let i = 1; i < n && sorted; i++) if (p.ts[i]! < p.ts[i - 1]!) sorted = false;
      if (sorted) {
        out.set(symbol, { ts: p.ts.subarray(0, n), mid2: p.mid2.subarray(0, n) });
        continue;
      }
      const order = Array.from({ length: n }, (_, i) => i);
      order.sort((a, b) => p.ts[a]! - p.ts[b]! || a - b);
      const ts = new Float64Array(n);
      const mid2 = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        ts[i] = p.ts[order[i]!]!;
        mid2[i] = p.mid2[order[i]!]!;
      }
      out.set(symbol, { ts, mid2 });
    }
    return new QuoteMidIndex(out);
  }
}

export class QuoteMidIndex {
  constructor(private readonly bySymbol: ReadonlyMap<string, SymbolQuotes>) {}

  static empty(): QuoteMidIndex {
    return new QuoteMidIndex(new Map());
  }

  hasSymbol(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  /**
   * Twice the prevailing mid (bid + ask) for a trade at `tsMicros`, looking only at
   * quotes at or after `dayStartMicros` (the same local day) and strictly before
   * `tsMicros`; null when there is none or it is not usable.
   */
  prevailingMid2(symbol: string, tsMicros: number, dayStartMicros: number): bigint | null {
    const q = this.bySymbol.get(symbol);
    if (q === undefined) return null;
    // last index with ts < tsMicros
    let lo = 0;
    let hi = q.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (q.ts[mid]! < tsMicros) lo = mid + 1;
      else hi = mid;
    }
    const i = lo - 1;
    if (i < 0 || q.ts[i]! < dayStartMicros) return null;
    const m = q.mid2[i]!;
    return m === UNUSABLE ? null : m;
  }
}
