/**
 * The fast path for the frames Binance actually sends: a combined-stream envelope
 * written without whitespace, `{"stream":"<symbol>@<channel>","data":{...}}`, for
 * the @trade, @aggTrade and @bookTicker channels, whose payload is a flat object
 * of one-letter keys with plain strings, canonical non-negative integers and
 * booleans (and nulls for bookTicker's optional sides).
 *
 * `scan` reads such a frame in one pass over its UTF-8 bytes (as the WebSocket
 * delivered them: no string is made of the frame), without JSON.parse and
 * without building the payload object: it fills a reused, fixed-shape event
 * (`trade`, `aggTrade` or `bookTicker`) that satisfies the channel's zod schema
 * by construction (the same predicates: safe non-negative integer ids and times,
 * [A-Z0-9]{2,30} symbols matching the stream name, decimal text of 1 to 64
 * characters, booleans). A key the schema does not read is skipped as zod
 * would strip it; a repeated key keeps its last value, as JSON.parse does.
 * A decimal with a non-ASCII byte is left to the general path (its length in
 * characters is not its length in bytes).
 *
 * A @trade's price and quantity become strings only when `trade` is read: the
 * stream client's direct encoder reads them, and the digits of its integers, from
 * the frame through `tradeSpans` (TradeSpan offsets), which is cheaper than a
 * string per field.
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

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const ENVELOPE_HEAD = ascii('{"stream":"');
const ENVELOPE_DATA = ascii('","data":{');
const TRADE = ascii('trade');
const AGG_TRADE = ascii('aggTrade');
const BOOK_TICKER = ascii('bookTicker');
const TRADE_EVENT = ascii('"trade"');
const AGG_TRADE_EVENT = ascii('"aggTrade"');
const BOOK_TICKER_EVENT = ascii('"bookTicker"');
const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');
const EMPTY = new Uint8Array(0);
const AT = 64; // @
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

/**
 * Offsets into the frame of the last scanned @trade, by pairs [start, end): the text of p
 * and q, and the digits of t, E, T, b and a (canonical, so they are String() of the
 * number). b and a are (0, 0) when absent.
 */
export const TradeSpan = { P: 0, Q: 2, T_ID: 4, E: 6, T: 8, B: 10, A: 12 } as const;

/** What the direct encoder reads of a scanned @trade: the frame, its spans, and the event's other fields. */
export interface ScannedTrade {
  readonly frame: Uint8Array;
  readonly tradeSpans: Int32Array;
  /** The event; its p and q are decoded on demand, so read only the other fields here. */
  readonly tradeNumbers: Readonly<TradeEvent>;
}

/** Whether frame[at, at + word.length) is `word`. */
function startsWith(frame: Uint8Array, at: number, word: Uint8Array): boolean {
  if (at + word.length > frame.length) return false;
  for (let i = 0; i < word.length; i++) if (frame[at + i] !== word[i]) return false;
  return true;
}

/** The first @ in the stream name from `from` (a loop: the name is short, and a native indexOf costs more), or -1 at its closing quote. */
function indexOfAt(frame: Uint8Array, from: number): number {
  const n = frame.length;
  for (let i = from; i < n; i++) {
    const c = frame[i]!;
    if (c === AT) return i;
    if (c === QUOTE) return -1;
  }
  return -1;
}

/** The ASCII text frame[start, end) as a string. */
function asciiText(frame: Uint8Array, start: number, end: number): string {
  return Buffer.from(frame.buffer, frame.byteOffset + start, end - start).toString('latin1');
}

export class CombinedFrameScanner implements ScannedTrade {
  private readonly tradeEvent: Mutable<TradeEvent> = { e: 'trade', E: 0, s: '', t: 0, p: '', q: '', T: 0, m: false, M: undefined, b: undefined, a: undefined };
  /** The last @aggTrade payload scanned (reused: read it before the next scan). */
  readonly aggTrade: Mutable<AggTradeEvent> = { e: 'aggTrade', E: 0, s: '', a: 0, p: '', q: '', f: 0, l: 0, T: 0, m: false, M: undefined };
  /** The last @bookTicker payload scanned (reused). */
  readonly bookTicker: Mutable<BookTickerEvent> = { e: undefined, u: 0, s: '', b: undefined, B: undefined, a: undefined, A: undefined, E: undefined, T: undefined };
  readonly tradeSpans = new Int32Array(14);

  /** The frame of the last scan (kept until the next one: the trade's spans point into it). */
  frame: Uint8Array = EMPTY;
  private pos = 0;
  /** Start and end (exclusive) of the last string body or integer read. */
  private start = 0;
  private end = 0;
  /** Whether tradeEvent's p and q are those of the last scanned trade. */
  private tradeText = true;
  private readonly symbols: { text: string; bytes: Uint8Array }[] = [];

  /** The last @trade payload scanned (reused: read it before the next scan). */
  get trade(): TradeEvent {
    if (!this.tradeText) {
      const sp = this.tradeSpans;
      this.tradeEvent.p = asciiText(this.frame, sp[TradeSpan.P]!, sp[TradeSpan.P + 1]!);
      this.tradeEvent.q = asciiText(this.frame, sp[TradeSpan.Q]!, sp[TradeSpan.Q + 1]!);
      this.tradeText = true;
    }
    return this.tradeEvent;
  }

  get tradeNumbers(): Readonly<TradeEvent> {
    return this.tradeEvent;
  }

  /** The channel of `frame` (UTF-8) when it is a fast-subset frame (its event is then filled), else null. */
  scan(frame: Uint8Array): ScannedChannel | null {
    this.frame = frame;
    if (!startsWith(frame, 0, ENVELOPE_HEAD)) return null;
    this.pos = ENVELOPE_HEAD.length;
    let channel: ScannedChannel | null = null;
    // stream name: <lower-case symbol>@<channel>, nothing after the channel
    const symStart = this.pos;
    const at = indexOfAt(frame, symStart);
    if (at > symStart && this.string(symStart) && this.end > at && startsWith(frame, this.end, ENVELOPE_DATA)) {
      const nameLength = this.end - at - 1;
      if (nameLength === 5 && startsWith(frame, at + 1, TRADE)) channel = 'trade';
      else if (nameLength === 8 && startsWith(frame, at + 1, AGG_TRADE)) channel = 'aggTrade';
      else if (nameLength === 10 && startsWith(frame, at + 1, BOOK_TICKER)) channel = 'bookTicker';
    }
    let ok = false;
    if (channel !== null) {
      this.pos = this.end + ENVELOPE_DATA.length;
      if (channel === 'trade') ok = this.scanTrade();
      else if (channel === 'aggTrade') ok = this.scanAggTrade();
      else ok = this.scanBookTicker();
      // the envelope closes right after data, and nothing follows
      ok &&= this.pos === frame.length - 1 && frame[this.pos] === CLOSE;
      if (ok) {
        const s = channel === 'trade' ? this.tradeEvent.s : channel === 'aggTrade' ? this.aggTrade.s : this.bookTicker.s;
        ok = s.length === at - symStart && sameSymbol(frame, symStart, s);
      }
    }
    return ok ? channel : null;
  }

  private scanTrade(): boolean {
    const ev = this.tradeEvent;
    const sp = this.tradeSpans;
    this.tradeText = false;
    ev.M = undefined;
    ev.b = undefined;
    ev.a = undefined;
    sp[TradeSpan.B] = sp[TradeSpan.B + 1] = sp[TradeSpan.A] = sp[TradeSpan.A + 1] = 0;
    let seen = 0;
    for (;;) {
      const key = this.key();
      if (key < 0) return false;
      let n: number;
      switch (key) {
        case K_e:
          if (!this.literal(TRADE_EVENT)) return false;
          seen |= R_e;
          break;
        case K_E:
          if ((n = this.millis()) < 0) return false;
          ev.E = n;
          this.span(TradeSpan.E);
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
          this.span(TradeSpan.T_ID);
          seen |= R_id;
          break;
        case K_p:
          if (!this.decimal()) return false;
          this.span(TradeSpan.P);
          seen |= R_p;
          break;
        case K_q:
          if (!this.decimal()) return false;
          this.span(TradeSpan.Q);
          seen |= R_q;
          break;
        case K_T:
          if ((n = this.millis()) < 0) return false;
          ev.T = n;
          this.span(TradeSpan.T);
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
          this.span(TradeSpan.B);
          break;
        case K_a:
          if ((n = this.uint()) < 0) return false;
          ev.a = n;
          this.span(TradeSpan.A);
          break;
        default:
          if (!this.skipValue()) return false;
      }
      const next = this.frame[this.pos++];
      if (next === CLOSE) return seen === TRADE_REQUIRED;
      if (next !== COMMA) return false;
    }
  }

  /** Records [start, end) of the value just read as span `at`. */
  private span(at: number): void {
    this.tradeSpans[at] = this.start;
    this.tradeSpans[at + 1] = this.end;
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
          if (!this.literal(AGG_TRADE_EVENT)) return false;
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
          ev.p = asciiText(this.frame, this.start, this.end);
          seen |= R_p;
          break;
        case K_q:
          if (!this.decimal()) return false;
          ev.q = asciiText(this.frame, this.start, this.end);
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
      const next = this.frame[this.pos++];
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
          if (!this.literal(BOOK_TICKER_EVENT)) return false;
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
      const next = this.frame[this.pos++];
      if (next === CLOSE) return seen === BOOK_REQUIRED;
      if (next !== COMMA) return false;
    }
  }

  /**
   * Reads `"k":` and returns the char code of a one-letter (ASCII) key, 0 for any other
   * plain key (its value is then skipped), -1 when the frame is outside the subset.
   */
  private key(): number {
    const frame = this.frame;
    const p = this.pos;
    if (frame[p] !== QUOTE) return -1;
    if (frame[p + 2] === QUOTE && frame[p + 3] === COLON) {
      const k = frame[p + 1]!;
      if (k === BACKSLASH || k < 0x20) return -1;
      if (k >= 0x80) return this.otherKey(p); // the first byte of a longer UTF-8 character
      this.pos = p + 4;
      return k;
    }
    return this.otherKey(p);
  }

  /** A key of more than one character at p: 0 once read, -1 when outside the subset. */
  private otherKey(p: number): number {
    if (!this.string(p + 1) || this.frame[this.pos] !== COLON) return -1;
    this.pos++;
    return 0;
  }

  /**
   * Reads a string body from `from` to its closing quote: start/end delimit it and
   * pos moves past the quote. False on an escape, a control character (JSON
   * forbids them unescaped; JSON.parse would reject the frame) or a missing quote.
   * (Bytes of multi-byte UTF-8 characters are all 0x80 or more: never one of these.)
   */
  private string(from: number): boolean {
    const frame = this.frame;
    const n = frame.length;
    for (let i = from; i < n; i++) {
      const c = frame[i]!;
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
   * The exact bytes `expected` at pos (then skipped). For a quoted string value the
   * quotes delimit it, so the string is exactly that text.
   */
  private literal(expected: Uint8Array): boolean {
    if (!startsWith(this.frame, this.pos, expected)) return false;
    this.pos += expected.length;
    return true;
  }

  /** A string of [A-Z0-9]{2,30} (the zod symbol regex). */
  private symbol(): boolean {
    const frame = this.frame;
    if (frame[this.pos] !== QUOTE) return false;
    const from = this.pos + 1;
    let i = from;
    for (;;) {
      const c = frame[i]!;
      if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57)) i++;
      else break;
    }
    const length = i - from;
    if (frame[i] !== QUOTE || length < 2 || length > 30) return false;
    this.start = from;
    this.end = i;
    this.pos = i + 1;
    return true;
  }

  /** The symbol just read, as one shared string per symbol (records of a symbol share it). */
  private symbolText(): string {
    const frame = this.frame;
    const start = this.start;
    const length = this.end - start;
    const symbols = this.symbols;
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i]!;
      if (s.bytes.length === length && startsWith(frame, start, s.bytes)) return s.text;
    }
    const text = asciiText(frame, start, this.end);
    if (symbols.length < MAX_CACHED_SYMBOLS) symbols.push({ text, bytes: frame.slice(start, this.end) });
    return text;
  }

  /** An ASCII string of 1 to 64 characters (the zod decimalText); the mapper parses it exactly. */
  private decimal(): boolean {
    if (this.frame[this.pos] !== QUOTE || !this.string(this.pos + 1)) return false;
    const length = this.end - this.start;
    if (length < 1 || length > MAX_DECIMAL_TEXT) return false;
    const frame = this.frame;
    let high = 0;
    for (let i = this.start; i < this.end; i++) high |= frame[i]!;
    return high < 0x80;
  }

  /** bookTicker sides: decimal text or null; undefined when neither. */
  private optionalDecimal(): string | null | undefined {
    if (startsWith(this.frame, this.pos, NULL)) {
      this.pos += 4;
      return null;
    }
    return this.decimal() ? asciiText(this.frame, this.start, this.end) : undefined;
  }

  /** A canonical non-negative integer of at most 15 digits (start/end delimit them); -1 otherwise. */
  private uint(): number {
    const frame = this.frame;
    const from = this.pos;
    let v = 0;
    let i = from;
    for (;;) {
      const d = frame[i]! - ZERO;
      if (d >= 0 && d <= 9) {
        v = v * 10 + d;
        i++;
      } else break;
    }
    const digits = i - from;
    if (digits === 0 || digits > MAX_INT_DIGITS || (digits > 1 && frame[from] === ZERO)) return -1;
    const next = frame[i];
    if (next !== COMMA && next !== CLOSE) return -1; // a fraction, an exponent, or garbage
    this.start = from;
    this.end = i;
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
    if (startsWith(this.frame, this.pos, TRUE)) {
      this.pos += 4;
      return 1;
    }
    if (startsWith(this.frame, this.pos, FALSE)) {
      this.pos += 5;
      return 0;
    }
    return -1;
  }

  /** The value of a key the schema does not read: a plain string, integer, boolean or null. */
  private skipValue(): boolean {
    const c = this.frame[this.pos]!;
    if (c === QUOTE) return this.string(this.pos + 1);
    if (c >= ZERO && c <= ZERO + 9) return this.uint() >= 0;
    if (startsWith(this.frame, this.pos, NULL)) {
      this.pos += 4;
      return true;
    }
    return this.bool() >= 0;
  }
}

/** Whether frame[from..] holds `symbol` in lower case ([A-Z0-9] only). */
function sameSymbol(frame: Uint8Array, from: number, symbol: string): boolean {
  for (let i = 0; i < symbol.length; i++) {
    const c = symbol.charCodeAt(i);
    const lower = c >= 65 && c <= 90 ? c + 32 : c;
    if (frame[from + i] !== lower) return false;
  }
  return true;
}
