/**
 * Exact decimal strings from DuckDB results: normalising scale and dividing
 * (VWAP = notional / volume) without ever going through a JS float.
 */
import { ValidationError } from '../model/errors.js';

const DEC_RE = /^(-)?(\d+)(?:\.(\d+))?$/;

/** (unscaled, scale) of a decimal string such as "-12.3400". */
export function parseDecimalString(s: string): { unscaled: bigint; scale: number } {
  const m = DEC_RE.exec(s.trim());
  if (m === null) throw new ValidationError(`not a decimal: ${JSON.stringify(s)}`, { value: s });
  const frac = m[3] ?? '';
  const unscaled = BigInt(`${m[2]}${frac}`);
  return { unscaled: m[1] === '-' ? -unscaled : unscaled, scale: frac.length };
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${neg ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`;
}

/** Rewrites a decimal string to exactly `minScale` places when that loses nothing, else keeps all significant places. */
export function normalizeDecimal(s: string, minScale = 8): string {
  const { unscaled, scale } = parseDecimalString(s);
  let u = unscaled;
  let sc = scale;
  while (sc > minScale && u % 10n === 0n) {
    u /= 10n;
    sc--;
  }
  while (sc < minScale) {
    u *= 10n;
    sc++;
  }
  return formatDecimal(u, sc);
}

/** a / b rounded half-even to `scale` places; null when b is zero. */
export function divideDecimalStrings(a: string, b: string, scale = 8): string | null {
  const x = parseDecimalString(a);
  const y = parseDecimalString(b);
  if (y.unscaled === 0n) return null;
  // a/b = (xa / 10^sa) / (yb / 10^sb); result unscaled at `scale`: xa * 10^(sb + scale - sa) / yb
  let num = x.unscaled;
  let den = y.unscaled;
  const shift = y.scale + scale - x.scale;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  let q = num / den;
  const r = num % den;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice > den || (twice === den && (q % 2n !== 0n))) q += num < 0n ? -1n : 1n;
  return formatDecimal(q, scale);
}
