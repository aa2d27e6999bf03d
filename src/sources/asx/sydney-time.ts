/**
 * ASX local time (Australia/Sydney) to UTC micros, DST-correct whatever the host
 * time zone: offsets come from the IANA database through luxon's IANAZone, never
 * from the host's Date.
 *
 * Hot path: the offset is looked up once per calendar date and cached. A date on
 * which the offset changes (a DST transition day) takes an exact slow path:
 *  - a local time that occurs twice (the repeated hour when DST ends, e.g.
 *    2014-04-06 02:00-02:59:59.999) is taken at its FIRST occurrence (the earlier
 *    instant, daylight time), like java.time's default;
 *  - a local time that does not exist (the skipped hour when DST starts, e.g.
 *    2014-10-05 02:00-02:59:59.999) is rejected: the data cannot say what was meant.
 */
import { IANAZone } from 'luxon';
import type { Micros } from '../../model/trade.js';
import { AsxRowError } from './asx-row-error.js';

export const ASX_TIME_ZONE = 'Australia/Sydney';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
/** UTC offsets lie within [-12h, +14h]: the instants of one local day lie within this margin. */
const PROBE_BEFORE_MS = 14 * 3_600_000;
const PROBE_AFTER_MS = MS_PER_DAY + 12 * 3_600_000;

/** One local calendar date, resolved. */
export interface LocalDay {
  /** yyyymmdd as a number, e.g. 20140310. */
  readonly ymd: number;
  /** The local date as text, yyyymmdd. */
  readonly ymdText: string;
  /** Local midnight read as if it were UTC, in ms (Date.UTC(y, m-1, d)). */
  readonly localMidnightMs: number;
  /** The UTC offset in minutes valid all day, or null on a transition day. */
  readonly fixedOffsetMinutes: number | null;
  /** UTC micros of the first instant of this local day (as a number, exact). */
  readonly startUtcMicros: number;
}

export class SydneyClock {
  private readonly zone: IANAZone;
  private readonly days = new Map<string, LocalDay>();
  private lastText = '';
  private lastDay: LocalDay | null = null;

  constructor(zoneName: string = ASX_TIME_ZONE) {
    this.zone = IANAZone.create(zoneName);
    if (!this.zone.isValid) throw new RangeError(`unknown time zone ${zoneName}`);
  }

  /** The offset of the zone at a UTC instant, in minutes. */
  offsetMinutesAt(utcMs: number): number {
    return this.zone.offset(utcMs);
  }

  /** Parses an ASX date `MM/DD/YYYY` (cached per distinct text). Throws AsxRowError. */
  day(text: string): LocalDay {
    if (text === this.lastText && this.lastDay !== null) return this.lastDay;
    let day = this.days.get(text);
    if (day === undefined) {
      day = this.resolveDay(text);
      this.days.set(text, day);
    }
    this.lastText = text;
    this.lastDay = day;
    return day;
  }

  /** The local day of y-m-d. */
  dayOf(year: number, month: number, dayOfMonth: number): LocalDay {
    const localMidnightMs = Date.UTC(year, month - 1, dayOfMonth);
    const before = this.zone.offset(localMidnightMs - PROBE_BEFORE_MS);
    const after = this.zone.offset(localMidnightMs + PROBE_AFTER_MS);
    const fixedOffsetMinutes = before === after ? before : null;
    const ymd = year * 10_000 + month * 100 + dayOfMonth;
    const day: LocalDay = {
      ymd,
      ymdText: String(ymd).padStart(8, '0'),
      localMidnightMs,
      fixedOffsetMinutes,
      startUtcMicros: 0,
    };
    const startMs = this.localToUtcMs(day, 0, true);
    return { ...day, startUtcMicros: startMs * 1000 };
  }

  /**
   * UTC micros of a local time on a local day. `microsOfDay` counts from local
   * midnight. Throws AsxRowError for a local time that does not exist.
   */
  toUtcMicros(day: LocalDay, microsOfDay: number): Micros {
    if (day.fixedOffsetMinutes !== null) {
      return BigInt((day.localMidnightMs - day.fixedOffsetMinutes * MS_PER_MINUTE) * 1000 + microsOfDay);
    }
    const msOfDay = Math.floor(microsOfDay / 1000);
    const utcMs = this.localToUtcMs(day, msOfDay, false);
    return BigInt(utcMs * 1000 + (microsOfDay - msOfDay * 1000));
  }

  /** Same as toUtcMicros, as a number (exact below 2^53, i.e. until the year 2255). */
  toUtcMicrosNumber(day: LocalDay, microsOfDay: number): number {
    if (day.fixedOffsetMinutes !== null) {
      return (day.localMidnightMs - day.fixedOffsetMinutes * MS_PER_MINUTE) * 1000 + microsOfDay;
    }
    const msOfDay = Math.floor(microsOfDay / 1000);
    return this.localToUtcMs(day, msOfDay, false) * 1000 + (microsOfDay - msOfDay * 1000);
  }

  /** The exact slow path. With `lenient`, a nonexistent time maps forward (used only for day starts). */
  private localToUtcMs(day: LocalDay, msOfDay: number, lenient: boolean): number {
    const local = day.localMidnightMs + msOfDay;
    if (day.fixedOffsetMinutes !== null) return local - day.fixedOffsetMinutes * MS_PER_MINUTE;
    const o1 = this.zone.offset(day.localMidnightMs - PROBE_BEFORE_MS);
    const o2 = this.zone.offset(day.localMidnightMs + PROBE_AFTER_MS);
    let best: number | null = null;
    for (const o of [o1, o2]) {
      const utc = local - o * MS_PER_MINUTE;
      if (this.zone.offset(utc) === o && (best === null || utc < best)) best = utc;
    }
    if (best !== null) return best;
    if (lenient) return local - Math.min(o1, o2) * MS_PER_MINUTE;
    throw new AsxRowError(
      `local time ${formatLocal(day, msOfDay)} does not exist in ${ASX_TIME_ZONE} (skipped by the daylight-saving change)`,
      'Time',
    );
  }

  private resolveDay(text: string): LocalDay {
    const m = DATE_RE.exec(text);
    if (m === null) throw new AsxRowError(`bad date ${JSON.stringify(text)}: expected MM/DD/YYYY`, 'Date');
    const month = Number(m[1]);
    const dayOfMonth = Number(m[2]);
    const year = Number(m[3]);
    if (month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month) || year < 1900) {
      throw new AsxRowError(`bad date ${JSON.stringify(text)}: no such calendar date (MM/DD/YYYY)`, 'Date');
    }
    if (year > LAST_YEAR) throw new AsxRowError(`bad date ${JSON.stringify(text)}: after ${LAST_YEAR}, beyond the v2 microsecond timestamps`, 'Date');
    return this.dayOf(year, month, dayOfMonth);
  }
}

const DATE_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
/** v2 timestamps end in June 2255 (MAX_TIMESTAMP_MICROS); later whole years are refused as dates. */
const LAST_YEAR = 2254;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function formatLocal(day: LocalDay, msOfDay: number): string {
  const t = new Date(day.localMidnightMs + msOfDay).toISOString();
  return `${t.slice(0, 23)}`;
}

const TIME_RE = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * Parses `HH:MM:SS[.ffffff]` (1 to 6 fractional digits; ASX files have 3) to
 * micros since local midnight. Throws AsxRowError.
 */
export function parseTimeOfDayMicros(text: string): number {
  // Fast path: exactly HH:MM:SS.mmm
  if (text.length === 12 && text.charCodeAt(2) === 58 && text.charCodeAt(5) === 58 && text.charCodeAt(8) === 46) {
    const h = d2(text, 0);
    const mi = d2(text, 3);
    const s = d2(text, 6);
    const f0 = text.charCodeAt(9) - 48;
    const f1 = text.charCodeAt(10) - 48;
    const f2 = text.charCodeAt(11) - 48;
    if (h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 60 && isDigit(f0) && isDigit(f1) && isDigit(f2)) {
      return ((h * 60 + mi) * 60 + s) * 1_000_000 + (f0 * 100 + f1 * 10 + f2) * 1000;
    }
  }
  const m = TIME_RE.exec(text);
  if (m === null) throw new AsxRowError(`bad time ${JSON.stringify(text)}: expected HH:MM:SS.mmm`, 'Time');
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const s = Number(m[3]);
  if (h > 23 || mi > 59 || s > 59) throw new AsxRowError(`bad time ${JSON.stringify(text)}: out of range`, 'Time');
  const frac = m[4] === undefined ? 0 : Number(m[4].padEnd(6, '0'));
  return ((h * 60 + mi) * 60 + s) * 1_000_000 + frac;
}

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (!isDigit(a) || !isDigit(b)) return -1;
  return a * 10 + b;
}

function isDigit(n: number): boolean {
  return n >= 0 && n <= 9;
}

/** The Sydney local day containing a UTC instant (for header CSVs with UTC timestamps). */
export function sydneyDayOfUtc(clock: SydneyClock, utcMicros: Micros): LocalDay {
  const ms = Number(utcMicros / 1000n);
  const local = new Date(ms + clock.offsetMinutesAt(ms) * MS_PER_MINUTE);
  return clock.dayOf(local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate());
}
