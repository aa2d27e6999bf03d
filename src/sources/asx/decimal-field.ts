/**
 * Exact decimal(18,8) fields of ASX rows. A fast path handles the plain forms the
 * files use ("36.667", "20000", "0.0") with exact integer arithmetic in doubles
 * (only while every intermediate stays below 2^53); anything else goes through
 * parseScaled, which rejects what does not fit (18,8) instead of rounding.
 */
import { parseScaled, type Scaled } from '../../model/decimal.js';
import { DecimalError } from '../../model/errors.js';
import { AsxRowError } from './asx-row-error.js';

const POW10 = [1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1];
/** Integer parts below this keep int * 1e8 below 2^53. */
const FAST_INT_LIMIT = 90_071_992;

/** Parses an exact decimal; throws AsxRowError naming the field. */
export function parseDecimalField(text: string, field: string): Scaled {
  const n = text.length;
  if (n > 0 && n <= 17) {
    let i = 0;
    let int = 0;
    let digits = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      int = int * 10 + c;
      digits++;
    }
    if (i === n && digits > 0 && int < FAST_INT_LIMIT) return BigInt(int * 1e8);
    if (i < n && text.charCodeAt(i) === 46 && int < FAST_INT_LIMIT) {
      let frac = 0;
      let fracDigits = 0;
      let j = i + 1;
      for (; j < n && fracDigits < 8; j++) {
        const c = text.charCodeAt(j) - 48;
        if (c < 0 || c > 9) break;
        frac = frac * 10 + c;
        fracDigits++;
      }
      if (j === n && (digits > 0 || fracDigits > 0)) return BigInt(int * 1e8 + frac * POW10[fracDigits]!);
    }
  }
  try {
    return parseScaled(text);
  } catch (err) {
    if (err instanceof DecimalError) {
      throw new AsxRowError(`${field} ${err.message}`, field);
    }
    throw err;
  }
}
