/**
 * The fast path for the frames Binance actually sends: a combined-stream envelope
 * written without whitespace, `{"stream":"<symbol>@<channel>","data":{...}}`, for
 * the @trade, @aggTrade and @bookTicker channels, whose payload is a flat object
 * of one-letter keys with plain strings, canonical non-negative integers and
 * booleans (and nulls for bookTicker's optional sides).
 *
 * `scan` reads such a frame in one pass over the text, without JSON.parse and
 * without building the payload object: it fills a reused, fixed-shape event
 * (`trade`, `aggTrade` or `bookTicker`) that satisfies the channel's zod schema
 * by construction (the same predicates: safe non-negative integer ids and times,
 * [A-Z0-9]{2,30} symbols matching the stream name, decimal text of 1 to 64
 * characters, booleans). A key the schema does not read is skipped as zod
 * would strip it; a repeated key keeps its last value, as JSON.parse does.
 *
 * Anything else (whitespace, escapes, fractions, exponents, negative or long
 * numbers, nested values, a missing or mistyped field, another channel, a
 * control event, trailing bytes, broken JSON) returns null without judging the
 * frame: the caller then runs JSON.parse and the zod contracts, which accept or
 * explain it exactly as before. test/binance/combined-frame-scanner.test.ts checks
 * that both paths give the same outcome on random and mutated frames.
 */
import { MAX_TIMESTAMP_MILLIS } from '../../model/time.js';
import type { AggTradeEvent, BookTickerEvent, TradeEvent } from './schemas.js';

export type ScannedChannel = 'trade' | 'aggTrade' | 'bookTicker';

const QUOTE = 34; // "
const BACKSLASH = 92; // \
const COMMA = 44; // ,
const COLON = 58; // :
const CLOSE = 125; // }
const ZERO = 48;

const ENVELOPE_HEAD = '{"stream":"';
const ENVELOPE_DATA = '","data":{';
/** At most 15 digits: always below 2^53, so the double accumulating them is exact. */
const MAX_INT_DIGITS = 15;
/** The zod decimalText bound. */
const MAX_DECIMAL_TEXT = 64;
const MAX_CACHED_SYMBOLS = 64;

// one-letter keys, by char code
const K_e = 101;
const K_E = 69;
const K_s = 115;
const K_t = 116;
const K_p = 112;
const K_q = 113;
const K_T = 84;
const K_m = 109;
const K_M = 77;
const K_b = 98;
const K_a = 97;
const K_f = 102;
const K_l = 108;
const K_u = 117;
const K_B = 66;
const K_A = 65;

// required-field bits
const R_e = 1;
const R_E = 2;
const R_s = 4;
const R_id = 8; // t (trade), a (aggTrade), u (bookTicker)
const R_p = 16;
const R_q = 32;
const R_T = 64;
const R_m = 128;
const R_f = 256;
const R_l = 512;
const TRADE_REQUIRED = R_e | R_E | R_s | R_id | R_p | R_q | R_T | R_m;
const AGG_REQUIRED = TRADE_REQUIRED | R_f | R_l;
const BOOK_REQUIRED = R_s | R_id;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class CombinedFrameScanner {
  /** The last @trade payload scanned (reused: read it before the next scan). */
  readonly trade: Mutable<TradeEvent> = { e: 'trade', E: 0, s: '', t: 0, p: '', q: '', T: 0, m: false, M: undefined, b: undefined, a: undefined };
  /** The last @aggTrade payload scanned (reused). */
  readonly aggTrade: Mutable<AggTradeEvent> = { e: 'aggTrade', E: 0, s: '', a: 0, p: '', q: '', f: 0, l: 0, T: 0, m: false, M: undefined };
  /** The last @bookTicker payload scanned (reused). */
  readonly bookTicker: Mutable<BookTickerEvent> = { e: undefined, u: 0, s: '', b: undefined, B: undefined, a: undefined, A: undefined, E: undefined, T: undefined };

  private text = '';
  private pos = 0;
  /** Start and end (exclusive) of the last string body read. */
  private start = 0;
  private end = 0;
  private readonly symbols: string[] = [];

  /** The channel of `text` when it is a fast-subset frame (its event is then filled), else null. */
  scan(text: string): ScannedChannel | null {
    if (!text.startsWith(ENVELOPE_HEAD)) return null;
    this.text = text;
    this.pos = ENVELOPE_HEAD.length;
    let channel: ScannedChannel | null = null;
    // stream name: <lower-case symbol>@<channel>, nothing after the channel
    const symStart = this.pos;
    const at = text.indexOf('@', symStart);
    if (at > symStart && this.string(symStart) && this.end > at && text.startsWith(ENVELOPE_DATA, this.end)) {
      const nameLength = this.end - at - 1;
      if (nameLength === 5 && text.startsWith('trade', at + 1)) channel = 'trade';
      else if (nameLength === 8 && text.startsWith('aggTrade', at + 1)) channel = 'aggTrade';
      else if (nameLength === 10 && text.startsWith('bookTicker', at + 1)) channel = 'bookTicker';
    }
    let ok = false;
    if (channel !== null) {
      this.pos = this.end + ENVELOPE_DATA.length;
      if (channel === 'trade') ok = this.scanTrade();
      else if (channel === 'aggTrade') ok = this.scanAggTrade();
      else ok = this.scanBookTicker();
      // the envelope closes right after data, and nothing follows
      ok &&= this.pos === text.length - 1 && text.charCodeAt(this.pos) === CLOSE;
      if (ok) {
        const s = channel === 'trade' ? this.trade.s : channel === 'aggTrade' ? this.aggTrade.s : this.bookTicker.s;
        ok = s.length === at - symStart && sameSymbol(text, symStart, s);
      }
    }
    this.text = '';
    return ok ? channel : null;
  }

  private scanTrade(): boolean {
    const ev = this.trade;
    ev.M = undefined;
    ev.b = undefined;
    ev.a = undefined;
    let seen = 0;
    for (;;) {
      const key = this.key();
      if (key < 0) return false;
      let n: number;
      switch (key) {
        case K_e:
          if (!this.literal('"trade"')) return false;
          seen |= R_e;
          break;
        case K_E:
          if ((n = this.millis()) < 0) return false;
          ev.E = n;
          seen |= R_E;
          break;
        case K_s:
          if (!this.symbol()) return false;
          ev.s = this.symbolText();
          seen |= R_s;
          break;
        case K_t:
          if ((n = this.uint()) < 0) return false;
          ev.t = n;
          seen |= R_id;
          break;
        case K_p:
          if (!this.decimal()) return false;
          ev.p = this.text.slice(this.start, this.end);
          seen |= R_p;
          break;
        case K_q:
          if (!this.decimal()) return false;
          ev.q = this.text.slice(this.start, this.end);
          seen |= R_q;
          break;
        case K_T:
          if ((n = this.millis()) < 0) return false;
          ev.T = n;
          seen |= R_T;
          break;
        case K_m:
          if ((n = this.bool()) < 0) return false;
          ev.m = n === 1;
          seen |= R_m;
          break;
        case K_M:
          if ((n = this.bool()) < 0) return false;
          ev.M = n === 1;
          break;
        case K_b:
          if ((n = this.uint()) < 0) return false;
          ev.b = n;
          break;
        case K_a:
          if ((n = this.uint()) < 0) return false;
          ev.a = n;
          break;
        default:
          if (!this.skipValue()) return false;
      }
      const next = this.text.charCodeAt(this.pos++);
      if (next === CLOSE) return seen === TRADE_REQUIRED;
      if (next !== COMMA) return false;
    }
  }

  private scanAggTrade(): boolean {
    const ev = this.aggTrade;
    ev.M = undefined;
    let seen = 0;
    for (;;) {
      const key = this.key();
      if (key < 0) return false;
      let n: number;
      switch (key) {
        case K_e:
          if (!this.literal('"aggTrade"')) return false;
          seen |= R_e;
          break;
        case K_E:
          if ((n = this.millis()) < 0) return false;
          ev.E = n;
          seen |= R_E;
          break;
        case K_s:
          if (!this.symbol()) return false;
          ev.s = this.symbolText();
          seen |= R_s;
          break;
        case K_a:
          if ((n = this.uint()) < 0) return false;
          ev.a = n;
          seen |= R_id;
          break;
        case K_p:
          if (!this.decimal()) return false;
          ev.p = this.text.slice(this.start, this.end);
          seen |= R_p;
          break;
        case K_q:
          if (!this.decimal()) return false;
          ev.q = this.text.slice(this.start, this.end);
          seen |= R_q;
          break;
        case K_f:
          if ((n = this.uint()) < 0) return false;
          ev.f = n;
          seen |= R_f;
          break;
        case K_l:
          if ((n = this.uint()) < 0) return false;
          ev.l = n;
          seen |= R_l;
          break;
        case K_T:
          if ((n = this.millis()) < 0) return false;
          ev.T = n;
          seen |= R_T;
          break;
        case K_m:
          if ((n = this.bool()) < 0) return false;
          ev.m = n === 1;
          seen |= R_m;
          break;
        case K_M:
          if ((n = this.bool()) < 0) return false;
          ev.M = n === 1;
          break;
        default:
          if (!this.skipValue()) return false;
      }
      const next = this.text.charCodeAt(this.pos++);
      if (next === CLOSE) return seen === AGG_REQUIRED;
      if (next !== COMMA) return false;
    }
  }

  private scanBookTicker(): boolean {
    const ev = this.bookTicker;
    ev.e = undefined;
    ev.b = undefined;
    ev.B = undefined;
    ev.a = undefined;
    ev.A = undefined;
    ev.E = undefined;
    ev.T = undefined;
    let seen = 0;
    for (;;) {
      const key = this.key();
      if (key < 0) return false;
      let n: number;
      switch (key) {
        case K_e:
          if (!this.literal('"bookTicker"')) return false;
          ev.e = 'bookTicker';
          break;
        case K_u:
          if ((n = this.uint()) < 0) return false;
          ev.u = n;
          seen |= R_id;
          break;
        case K_s:
          if (!this.symbol()) return false;
          ev.s = this.symbolText();
          seen |= R_s;
          break;
        case K_b:
          ev.b = this.optionalDecimal();
          if (ev.b === undefined) return false;
          break;
        case K_B:
          ev.B = this.optionalDecimal();
          if (ev.B === undefined) return false;
          break;
        case K_a:
          ev.a = this.optionalDecimal();
          if (ev.a === undefined) return false;
          break;
        case K_A:
          ev.A = this.optionalDecimal();
          if (ev.A === undefined) return false;
          break;
        case K_E:
          if ((n = this.millis()) < 0) return false;
          ev.E = n;
          break;
        case K_T:
          if ((n = this.millis()) < 0) return false;
          ev.T = n;
          break;
        default:
          if (!this.skipValue()) return false;
      }
      const next = this.text.charCodeAt(this.pos++);
      if (next === CLOSE) return seen === BOOK_REQUIRED;
      if (next !== COMMA) return false;
    }
  }

  /**
   * Reads `"k":` and returns the char code of a one-letter key, 0 for any other
   * plain key (its value is then skipped), -1 when the text is outside the subset.
   */
  private key(): number {
    const text = this.text;
    const p = this.pos;
    if (text.charCodeAt(p) !== QUOTE) return -1;
    if (text.charCodeAt(p + 2) === QUOTE && text.charCodeAt(p + 3) === COLON) {
      const k = text.charCodeAt(p + 1);
      if (k === BACKSLASH || k < 0x20) return -1;
      this.pos = p + 4;
      return k;
    }
    if (!this.string(p + 1) || text.charCodeAt(this.pos) !== COLON) return -1;
    this.pos++;
    return 0;
  }

  /**
   * Reads a string body from `from` to its closing quote: start/end delimit it and
   * pos moves past the quote. False on an escape, a control character (JSON
   * forbids them unescaped; JSON.parse would reject the frame) or a missing quote.
   */
  private string(from: number): boolean {
    const text = this.text;
    const n = text.length;
    for (let i = from; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.start = from;
        this.end = i;
        this.pos = i + 1;
        return true;
      }
      if (c === BACKSLASH || c < 0x20) return false;
    }
    return false;
  }

  /**
   * The exact text `expected` at pos (then skipped). For a quoted string value the
   * quotes delimit it, so the string is exactly that text.
   */
  private literal(expected: string): boolean {
    if (!this.text.startsWith(expected, this.pos)) return false;
    this.pos += expected.length;
    return true;
  }

  /** A string of [A-Z0-9]{2,30} (the zod symbol regex). */
  private symbol(): boolean {
    const text = this.text;
    if (text.charCodeAt(this.pos) !== QUOTE) return false;
    const from = this.pos + 1;
    let i = from;
    for (;;) {
      const c = text.charCodeAt(i);
      if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57)) i++;
      else break;
    }
    const length = i - from;
    if (text.charCodeAt(i) !== QUOTE || length < 2 || length > 30) return false;
    this.start = from;
    this.end = i;
    this.pos = i + 1;
    return true;
  }

  /** The symbol just read, as one shared string per symbol (records of a symbol share it). */
  private symbolText(): string {
    const text = this.text;
    const length = this.end - this.start;
    const symbols = this.symbols;
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i]!;
      if (s.length === length && text.startsWith(s, this.start)) return s;
    }
    // a flat copy, so the symbol does not keep the frame text alive
    const s = Buffer.from(text.slice(this.start, this.end), 'latin1').toString('latin1');
    if (symbols.length < MAX_CACHED_SYMBOLS) symbols.push(s);
    return s;
  }

  /** A string of 1 to 64 characters (the zod decimalText); the mapper parses it exactly. */
  private decimal(): boolean {
    if (this.text.charCodeAt(this.pos) !== QUOTE || !this.string(this.pos + 1)) return false;
    const length = this.end - this.start;
    return length >= 1 && length <= MAX_DECIMAL_TEXT;
  }

  /** bookTicker sides: decimal text or null; undefined when neither. */
  private optionalDecimal(): string | null | undefined {
    if (this.text.startsWith('null', this.pos)) {
      this.pos += 4;
      return null;
    }
    return this.decimal() ? this.text.slice(this.start, this.end) : undefined;
  }

  /** A canonical non-negative integer of at most 15 digits; -1 otherwise. */
  private uint(): number {
    const text = this.text;
    const from = this.pos;
    let v = 0;
    let i = from;
    for (;;) {
      const d = text.charCodeAt(i) - ZERO;
      if (d >= 0 && d <= 9) {
        v = v * 10 + d;
        i++;
      } else break;
    }
    const digits = i - from;
    if (digits === 0 || digits > MAX_INT_DIGITS || (digits > 1 && text.charCodeAt(from) === ZERO)) return -1;
    const next = text.charCodeAt(i);
    if (next !== COMMA && next !== CLOSE) return -1; // a fraction, an exponent, or garbage
    this.pos = i;
    return v;
  }

  /** A uint within the zod `millis` bound (MAX_TIMESTAMP_MILLIS), else -1. */
  private millis(): number {
    const n = this.uint();
    return n > MAX_TIMESTAMP_MILLIS ? -1 : n;
  }

  /** 1 for true, 0 for false, -1 otherwise. */
  private bool(): number {
    if (this.text.startsWith('true', this.pos)) {
      this.pos += 4;
      return 1;
    }
    if (this.text.startsWith('false', this.pos)) {
      this.pos += 5;
      return 0;
    }
    return -1;
  }

  /** The value of a key the schema does not read: a plain string, integer, boolean or null. */
  private skipValue(): boolean {
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) return this.string(this.pos + 1);
    if (c >= ZERO && c <= ZERO + 9) return this.uint() >= 0;
    if (this.text.startsWith('null', this.pos)) {
      this.pos += 4;
      return true;
    }
    return this.bool() >= 0;
  }
}

/** Whether text[from..] holds `symbol` in lower case ([A-Z0-9] only). */
function sameSymbol(text: string, from: number, symbol: string): boolean {
  for (let i = 0; i < symbol.length; i++) {
    const c = symbol.charCodeAt(i);
    const lower = c >= 65 && c <= 90 ? c + 32 : c;
    if (text.charCodeAt(from + i) !== lower) return false;
  }
  return true;
}
