import { afterEach, describe, expect, it } from 'vitest';
import { microsToIso } from '../../src/model/time.js';
import { AsxRowError } from '../../src/sources/asx/asx-row-error.js';
import { parseTimeOfDayMicros, SydneyClock } from '../../src/sources/asx/sydney-time.js';

const clock = new SydneyClock();
const utc = (date: string, time: string): string => microsToIso(clock.toUtcMicros(clock.day(date), parseTimeOfDayMicros(time)));

describe('Australia/Sydney local time to UTC', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = savedTz;
  });

  it('converts an ordinary AEDT (+11:00) trading time', () => {
    expect(utc('03/10/2014', '10:06:41.395')).toBe('2014-03-09T23:06:41.395000Z');
  });

  it('converts an ordinary AEST (+10:00) time', () => {
    expect(utc('04/07/2014', '10:00:00.000')).toBe('2014-04-07T00:00:00.000000Z');
    expect(utc('07/01/2014', '16:00:00.000')).toBe('2014-07-01T06:00:00.000000Z');
  });

  it('handles the end of DST, 2014-04-06 03:00 AEDT -> 02:00 AEST: the repeated hour is taken at its first occurrence', () => {
    expect(utc('04/06/2014', '00:00:00.000')).toBe('2014-04-05T13:00:00.000000Z');
    expect(utc('04/06/2014', '01:59:59.999')).toBe('2014-04-05T14:59:59.999000Z');
    // 02:00-02:59:59.999 happens twice; the first (AEDT, +11) is chosen
    expect(utc('04/06/2014', '02:00:00.000')).toBe('2014-04-05T15:00:00.000000Z');
    expect(utc('04/06/2014', '02:30:00.000')).toBe('2014-04-05T15:30:00.000000Z');
    expect(utc('04/06/2014', '02:59:59.999')).toBe('2014-04-05T15:59:59.999000Z');
    // from 03:00 only AEST exists
    expect(utc('04/06/2014', '03:00:00.000')).toBe('2014-04-05T17:00:00.000000Z');
    expect(utc('04/06/2014', '23:59:59.999')).toBe('2014-04-06T13:59:59.999000Z');
  });

  it('handles the start of DST, 2014-10-05 02:00 AEST -> 03:00 AEDT: the skipped hour is rejected', () => {
    expect(utc('10/05/2014', '01:59:59.999')).toBe('2014-10-04T15:59:59.999000Z');
    expect(utc('10/05/2014', '03:00:00.000')).toBe('2014-10-04T16:00:00.000000Z');
    expect(utc('10/05/2014', '12:00:00.000')).toBe('2014-10-05T01:00:00.000000Z');
    for (const t of ['02:00:00.000', '02:30:00.000', '02:59:59.999']) {
      expect(() => utc('10/05/2014', t)).toThrow(AsxRowError);
      expect(() => utc('10/05/2014', t)).toThrow(/does not exist in Australia\/Sydney/);
    }
  });

  it('gives the day start of transition days exactly', () => {
    expect(microsToIso(BigInt(clock.day('04/06/2014').startUtcMicros))).toBe('2014-04-05T13:00:00.000000Z');
    expect(microsToIso(BigInt(clock.day('10/05/2014').startUtcMicros))).toBe('2014-10-04T14:00:00.000000Z');
    expect(clock.day('04/06/2014').fixedOffsetMinutes).toBeNull();
    expect(clock.day('03/10/2014').fixedOffsetMinutes).toBe(660);
    expect(clock.day('07/01/2014').fixedOffsetMinutes).toBe(600);
  });

  it('does not depend on the host time zone', () => {
    const cases: Array<[string, string]> = [
      ['03/10/2014', '10:06:41.395'],
      ['04/06/2014', '02:30:00.000'],
      ['04/06/2014', '03:00:00.000'],
      ['10/05/2014', '03:00:00.000'],
    ];
    const results: string[][] = [];
    for (const tz of ['UTC', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata']) {
      process.env.TZ = tz;
      const c = new SydneyClock();
      results.push(cases.map(([d, t]) => microsToIso(c.toUtcMicros(c.day(d), parseTimeOfDayMicros(t)))));
    }
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('rejects bad dates with the Date field named', () => {
    // 2300: a real date, but past the v2 timestamps (June 2255); it must be a rejected row, not a failed encode
    for (const d of ['02/30/2014', '13/01/2014', '00/10/2014', '2014-03-10', '', '3/10/14', '03-10-2014', '03/10/2300', '01/01/2255']) {
      let err: unknown;
      try {
        clock.day(d);
      } catch (e) {
        err = e;
      }
      expect(err, d).toBeInstanceOf(AsxRowError);
      expect((err as AsxRowError).field).toBe('Date');
      expect((err as AsxRowError).message).toMatch(/bad date/);
    }
    expect(clock.day('2/29/2016').ymd).toBe(20160229);
    expect(clock.day('12/31/2254').ymd).toBe(22541231);
  });

  it('parses times to the microsecond and rejects bad ones', () => {
    expect(parseTimeOfDayMicros('00:00:00.000')).toBe(0);
    expect(parseTimeOfDayMicros('10:06:41.395')).toBe(((10 * 60 + 6) * 60 + 41) * 1e6 + 395_000);
    expect(parseTimeOfDayMicros('10:06:41')).toBe(((10 * 60 + 6) * 60 + 41) * 1e6);
    expect(parseTimeOfDayMicros('10:06:41.5')).toBe(((10 * 60 + 6) * 60 + 41) * 1e6 + 500_000);
    expect(parseTimeOfDayMicros('10:06:41.123456')).toBe(((10 * 60 + 6) * 60 + 41) * 1e6 + 123_456);
    expect(parseTimeOfDayMicros('9:06:41.395')).toBe(((9 * 60 + 6) * 60 + 41) * 1e6 + 395_000);
    for (const t of ['24:00:00.000', '10:60:00.000', '10:00:60.000', '10:00', 'abc', '', '10:00:00.1234567', '1a:00:00.000']) {
      expect(() => parseTimeOfDayMicros(t), t).toThrow(AsxRowError);
    }
  });
});
