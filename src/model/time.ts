/**
 * Microsecond timestamps. All timestamps in k2 are bigint micros since the Unix
 * epoch, UTC: exact, and independent of the host time zone.
 */
import { ValidationError } from './errors.js';
import type { Micros } from './trade.js';

export const MICROS_PER_MILLI = 1000n;
export const MICROS_PER_SECOND = 1_000_000n;
export const MICROS_PER_DAY = 86_400_000_000n;

export function microsFromMillis(ms: number | bigint): Micros {
  return BigInt(ms) * MICROS_PER_MILLI;
}

export function nowMicros(): Micros {
  // Date.now() has millisecond resolution; performance.timeOrigin adds sub-ms precision.
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return BigInt(us);
}

/** ISO-8601 UTC with microseconds, e.g. 2014-03-10T02:06:41.395000Z. */
export function microsToIso(us: Micros): string {
  const ms = us / MICROS_PER_MILLI;
  const rem = ((us % MICROS_PER_MILLI) + MICROS_PER_MILLI) % MICROS_PER_MILLI;
  const floorMs = us < 0n && rem !== 0n ? ms - 1n : ms;
  const base = new Date(Number(floorMs)).toISOString(); // ...sss Z
  return `${base.slice(0, -1)}${rem.toString().padStart(3, '0')}Z`;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an ISO-8601 date or date-time to micros, keeping sub-millisecond digits.
 * A value without an offset is taken as UTC.
 */
export function isoToMicros(text: string, field = 'timestamp'): Micros {
  const m = ISO_RE.exec(text.trim());
  if (m === null) throw new ValidationError(`not an ISO-8601 time: ${JSON.stringify(text)}`, { field, value: text });
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', tz = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) throw new ValidationError(`invalid date: ${JSON.stringify(text)}`, { field, value: text });
  const check = new Date(ms);
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCHours() !== Number(h) || check.getUTCMinutes() !== Number(mi) || check.getUTCSeconds() !== Number(s)) {
    throw new ValidationError(`invalid date: ${JSON.stringify(text)}`, { field, value: text });
  }
  if (frac.length > 6 && !/^0*$/.test(frac.slice(6))) {
    throw new ValidationError(`sub-microsecond precision is not supported: ${JSON.stringify(text)}`, { field, value: text });
  }
  let us = BigInt(ms) * MICROS_PER_MILLI + BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
  if (tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1n : 1n;
    const digits = tz.slice(1).replace(':', '');
    const offHours = Number(digits.slice(0, 2));
    const offMinutes = Number(digits.slice(2, 4) || '0');
    // RFC 3339: an offset's hour is 00-23 and its minute 00-59
    if (offHours > 23 || offMinutes > 59) throw new ValidationError(`invalid UTC offset ${tz}: ${JSON.stringify(text)}`, { field, value: text });
    const offMin = BigInt(offHours * 60 + offMinutes);
    us -= sign * offMin * 60n * MICROS_PER_SECOND;
  }
  return us;
}

/**
 * The last epoch millisecond whose microseconds a v2 timestamp holds exactly (2^53 - 1 micros,
 * in the year 2255). Sources reject later times as invalid input instead of failing to encode them.
 */
export const MAX_TIMESTAMP_MILLIS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** The v2 timestamp range in micros: 1827-06-13 (-2^52) to 2255-06-05 (2^53 - 1). */
export const MIN_TIMESTAMP_MICROS = -(2n ** 52n);
export const MAX_TIMESTAMP_MICROS = 2n ** 53n - 1n;

/** Whether a v2 timestamp can hold `us` exactly. */
export function inTimestampRange(us: Micros): boolean {
  return us >= MIN_TIMESTAMP_MICROS && us <= MAX_TIMESTAMP_MICROS;
}
