/**
 * Exact decimal(18,8) values as scaled bigints: a value v is stored as v * 10^8.
 *
 * This is the hot-path representation. It is never converted to a JS number.
 * Parsing is exact: more than 8 significant fractional digits, or more than 10
 * integer digits (precision 18 - scale 8), is an error, never a silent rounding.
 */
import { DecimalError, type ErrorContext } from './errors.js';

export const DECIMAL_PRECISION = 18;
export const DECIMAL_SCALE = 8;
export const SCALE_FACTOR = 100_000_000n;
/** Largest unscaled magnitude that fits precision 18: 10^18 - 1. */
export const MAX_UNSCALED = 999_999_999_999_999_999n;

/** A scaled decimal(18,8): units of 1e-8. */
export type Scaled = bigint;

const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal string exactly into units of 1e-8.
 * Accepts "1", "-1.5", "0.00000001", ".5", "1e-8", "42156.12345678", "0.10000000000" (trailing zeros beyond scale are exact).
 */
export function parseScaled(text: string, context: ErrorContext = {}): Scaled {
  const s = text.trim();
  const m = DECIMAL_RE.exec(s);
  if (m === null || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw new DecimalError(`not a decimal number: ${JSON.stringify(text)}`, { ...context, value: text });
  }
  const negative = m[1] === '-';
  let intPart = m[2] ?? '';
  let fracPart = m[3] ?? '';
  const exp = m[4] === undefined ? 0 : Number.parseInt(m[4], 10);
  if (exp !== 0) {
    if (Math.abs(exp) > 40) throw new DecimalError(`exponent out of range: ${text}`, { ...context, value: text });
    if (exp > 0) {
      const shifted = fracPart.padEnd(exp, '0');
      intPart = intPart + shifted.slice(0, exp);
      fracPart = shifted.slice(exp);
    } else {
      const padded = intPart.padStart(-exp, '0');
      fracPart = padded.slice(padded.length + exp) + fracPart;
      intPart = padded.slice(0, padded.length + exp);
    }
  }
  // Trailing zeros beyond the scale are exact; anything else is a rounding we refuse.
  if (fracPart.length > DECIMAL_SCALE) {
    const extra = fracPart.slice(DECIMAL_SCALE);
    if (!/^0*$/.test(extra)) {
      throw new DecimalError(`more than ${DECIMAL_SCALE} decimal places: ${text}`, { ...context, value: text });
    }
    fracPart = fracPart.slice(0, DECIMAL_SCALE);
  }
  const digits = (intPart.replace(/^0+/, '') || '0') + fracPart.padEnd(DECIMAL_SCALE, '0');
  const unscaled = BigInt(digits);
  if (unscaled > MAX_UNSCALED) {
    throw new DecimalError(`does not fit decimal(18,8): ${text}`, { ...context, value: text });
  }
  return negative ? -unscaled : unscaled;
}

/** Checks a scaled value fits decimal(18,8). */
export function assertFits(value: Scaled, context: ErrorContext = {}): Scaled {
  if (value > MAX_UNSCALED || value < -MAX_UNSCALED) {
    throw new DecimalError(`does not fit decimal(18,8): ${formatScaled(value)}`, { ...context, value: formatScaled(value) });
  }
  return value;
}

/** Full-scale string, e.g. 1.5 -> "1.50000000". */
export function formatScaledFixed(value: Scaled): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const int = abs / SCALE_FACTOR;
  const frac = (abs % SCALE_FACTOR).toString().padStart(DECIMAL_SCALE, '0');
  return `${negative ? '-' : ''}${int}.${frac}`;
}

/** Shortest exact string, e.g. 1.5 -> "1.5", 2 -> "2". */
export function formatScaled(value: Scaled): string {
  const fixed = formatScaledFixed(value);
  return fixed.replace(/\.?0+$/, '');
}

/** Parses any exact decimal string of arbitrary scale into (unscaled, scale); used for sums. */
export function scaledFromNumberString(text: string): Scaled {
  return parseScaled(text);
}

/**
 * Exact product of two scaled values, as a decimal string (scale 16 → trimmed).
 * Used for notionals, which overflow decimal(18,8) and so stay as strings/bigints.
 */
export function multiplyToString(a: Scaled, b: Scaled): string {
  return formatUnscaled(a * b, DECIMAL_SCALE * 2);
}

/** Formats an unscaled integer with the given scale, trimming trailing zeros. */
export function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const abs = negative ? -unscaled : unscaled;
  const s = abs.toString().padStart(scale + 1, '0');
  const int = s.slice(0, s.length - scale);
  const frac = s.slice(s.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/**
 * Two's-complement big-endian bytes of the unscaled value, minimum length
 * (the Avro decimal and Iceberg bound serialization).
 */
export function unscaledToBytes(unscaled: bigint): Uint8Array {
  if (unscaled === 0n) return new Uint8Array([0]);
  const bytes: number[] = [];
  let v = unscaled;
  // Emit little-endian then reverse; stop when the remaining value is pure sign extension.
  for (;;) {
    const byte = Number(v & 0xffn);
    bytes.push(byte);
    v >>= 8n;
    const signBit = byte & 0x80;
    if ((v === 0n && signBit === 0) || (v === -1n && signBit !== 0)) break;
  }
  return Uint8Array.from(bytes.reverse());
}

/** Inverse of unscaledToBytes. */
export function bytesToUnscaled(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]!);
  if ((bytes[0]! & 0x80) !== 0) v -= 1n << BigInt(bytes.length * 8);
  return v;
}
