/**
 * The summary of an ASX load: row counts, and per symbol the trade and quote
 * counts, first/last timestamps, and exact sums of quantity and notional
 * (price x quantity, kept at scale 16 so nothing is rounded).
 */
import { formatScaled, formatUnscaled } from '../../model/decimal.js';
import type { QuoteV2 } from '../../model/quote.js';
import { microsToIso } from '../../model/time.js';
import type { Micros, TradeV2 } from '../../model/trade.js';

export interface SymbolSummaryJson {
  trades: number;
  quotes: number;
  first_ts: string | null;
  last_ts: string | null;
  sum_quantity: string;
  sum_notional: string;
}

/** The `--dry-run --json` contract of `k2 load asx`. */
export interface LoadSummaryJson {
  files: number;
  rows_read: number;
  rows_valid: number;
  rows_rejected: number;
  by_symbol: Record<string, SymbolSummaryJson>;
}

class SymbolTotals {
  trades = 0;
  quotes = 0;
  firstTs: Micros | null = null;
  lastTs: Micros | null = null;
  sumQuantity = 0n;
  /** units of 1e-16 */
  sumNotional = 0n;

  seen(ts: Micros): void {
    if (this.firstTs === null || ts < this.firstTs) this.firstTs = ts;
    if (this.lastTs === null || ts > this.lastTs) this.lastTs = ts;
  }
}

export class LoadSummary {
  files = 0;
  rowsRead = 0;
  rowsRejected = 0;
  private readonly symbols = new Map<string, SymbolTotals>();

  private totals(symbol: string): SymbolTotals {
    let t = this.symbols.get(symbol);
    if (t === undefined) {
      t = new SymbolTotals();
      this.symbols.set(symbol, t);
    }
    return t;
  }

  addTrades(records: readonly TradeV2[]): void {
    let t: SymbolTotals | null = null;
    let lastSymbol = '';
    for (const r of records) {
      if (t === null || r.symbol !== lastSymbol) {
        t = this.totals(r.symbol);
        lastSymbol = r.symbol;
      }
      t.trades++;
      t.seen(r.timestamp);
      t.sumQuantity += r.quantity;
      t.sumNotional += r.price * r.quantity;
    }
  }

  addQuotes(records: readonly QuoteV2[]): void {
    for (const r of records) {
      const t = this.totals(r.symbol);
      t.quotes++;
      t.seen(r.timestamp);
    }
  }

  get rowsValid(): number {
    return this.rowsRead - this.rowsRejected;
  }

  toJSON(): LoadSummaryJson {
    const by: Record<string, SymbolSummaryJson> = {};
    for (const symbol of [...this.symbols.keys()].sort()) {
      const t = this.symbols.get(symbol)!;
      by[symbol] = {
        trades: t.trades,
        quotes: t.quotes,
        first_ts: t.firstTs === null ? null : microsToIso(t.firstTs),
        last_ts: t.lastTs === null ? null : microsToIso(t.lastTs),
        sum_quantity: formatScaled(t.sumQuantity) || '0',
        sum_notional: formatUnscaled(t.sumNotional, 16),
      };
    }
    return { files: this.files, rows_read: this.rowsRead, rows_valid: this.rowsValid, rows_rejected: this.rowsRejected, by_symbol: by };
  }
}
