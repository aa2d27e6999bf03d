/**
 * Trading dates. A date means the exchange's trading date in its own time zone:
 * BHP on 2014-03-10 is the ASX session in Australia/Sydney, which starts on the 9th
 * in UTC. Crypto venues trade around the clock and use UTC.
 */
import { DateTime } from 'luxon';
import { ValidationError } from '../model/errors.js';
import type { Micros } from '../model/trade.js';

const EXCHANGE_TIME_ZONES: Readonly<Record<string, string>> = {
  ASX: 'Australia/Sydney',
  CHIA: 'Australia/Sydney',
  NZX: 'Pacific/Auckland',
  NYSE: 'America/New_York',
  NASDAQ: 'America/New_York',
  LSE: 'Europe/London',
};

/** IANA time zone of an exchange's trading day; UTC for crypto and unknown venues. */
export function exchangeTimeZone(exchange: string | null | undefined): string {
  if (exchange === null || exchange === undefined) return 'UTC';
  return EXCHANGE_TIME_ZONES[exchange.toUpperCase()] ?? 'UTC';
}

/** [start, end) in UTC micros of a local calendar date in a time zone. */
export function tradingDayRange(date: string, timeZone: string): { fromMicros: Micros; toMicros: Micros } {
  const start = DateTime.fromISO(date, { zone: timeZone });
  if (!start.isValid) throw new ValidationError(`invalid date: ${date}`, { field: 'date', value: date });
  const end = start.plus({ days: 1 });
  return { fromMicros: BigInt(start.toMillis()) * 1000n, toMicros: BigInt(end.toMillis()) * 1000n };
}
