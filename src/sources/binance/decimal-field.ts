/** Exact decimal fields of Binance payloads, with errors that name the field. */
import { parseScaled, type Scaled } from '../../model/decimal.js';
import { DecimalError } from '../../model/errors.js';
import { BinanceMessageError } from './errors.js';

/**
 * Binance always sends 8 decimals ("67412.01000000"). For exactly that shape, up
 * to 10 integer digits, the scaled value is the digits without the point: one
 * BigInt, no regex. Anything else goes through parseScaled. Both are exact;
 * test/binance/decimal-field.test.ts checks they agree.
 */
export function fastScaled(text: string): Scaled | null {
  const n = text.length;
  const dot = n - 9;
  if (n < 10 || n > 19 || text.charCodeAt(dot) !== 46 /* . */) return null;
  // Digits accumulate in a double while exact (at most 15 digits < 2^53), else as text.
  let v = 0;
  for (let i = 0; i < n; i++) {
    if (i === dot) continue;
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return n <= 16 ? BigInt(v) : BigInt(text.slice(0, dot) + text.slice(dot + 1));
}

export function scaledField(text: string, field: string, symbol: string): Scaled {
  const fast = fastScaled(text);
  if (fast !== null) return fast;
  try {
    return parseScaled(text);
  } catch (err) {
    if (err instanceof DecimalError) {
      throw new BinanceMessageError('invalid_decimal', `${field}: ${err.message}`, { field, symbol, value: text }, { cause: err });
    }
    throw err;
  }
}

/** A trade price or quantity must be strictly positive. */
export function positiveScaledField(text: string, field: string, symbol: string): Scaled {
  const v = scaledField(text, field, symbol);
  if (v <= 0n) {
    throw new BinanceMessageError('invalid_payload', `${field} must be positive, got ${text}`, { field, symbol, value: text });
  }
  return v;
}
