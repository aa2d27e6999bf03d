import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/model/errors.js';
import { isoToMicros, microsFromMillis, microsToIso, nowMicros } from '../../src/model/time.js';

describe('micros helpers', () => {
  it('formats micros as ISO-8601 UTC with six fractional digits, negative values included', () => {
    expect(microsToIso(0n)).toBe('1970-01-01T00:00:00.000000Z');
    expect(microsToIso(1_500n)).toBe('1970-01-01T00:00:00.001500Z');
    expect(microsToIso(1394406401395123n)).toBe('2014-03-09T23:06:41.395123Z');
    expect(microsToIso(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(microsToIso(-1_000n)).toBe('1969-12-31T23:59:59.999000Z');
  });

  it('parses ISO-8601 keeping microseconds and applying offsets', () => {
    expect(isoToMicros('2026-01-10T10:30:00.123456Z')).toBe(1768041000123456n);
    expect(isoToMicros('2014-03-10T10:06:41.395+11:00')).toBe(isoToMicros('2014-03-09T23:06:41.395Z'));
    expect(isoToMicros('2014-03-10T10:06:41.395+1100')).toBe(isoToMicros('2014-03-09T23:06:41.395Z'));
    expect(isoToMicros('2014-03-09T18:36:41.395-05:30')).toBe(isoToMicros('2014-03-10T00:06:41.395Z'));
    expect(isoToMicros('2014-03-10T23:59:00+23:59')).toBe(isoToMicros('2014-03-10T00:00:00Z'));
    expect(isoToMicros('2014-03-10')).toBe(1394409600000000n);
    expect(isoToMicros('2014-03-10 01:02:03')).toBe(1394413323000000n);
    expect(isoToMicros('1969-12-31T23:59:59.999999Z')).toBe(-1n);
    for (const us of [0n, 1n, -1n, 1394406401395123n, 4102444799999999n]) expect(isoToMicros(microsToIso(us))).toBe(us);
  });

  it('rejects impossible dates and times with the field named', () => {
    for (const text of ['2014-02-30', '2014-13-01', '2014-03-10T25:00:00Z', '2014-03-10T10:60:00Z', '2014-03-10T10:00:60Z', 'yesterday', '', '2014-03-10T10:00:00+25:00', '2014-03-10T10:00:00-24:00', '2014-03-10T10:00:00+05:60', '2014-03-10T10:00:00+9999']) {
      let err: unknown;
      try {
        isoToMicros(text, 'exchange_timestamp');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).context.field).toBe('exchange_timestamp');
    }
  });

  it('converts millis and reads the clock as bigint micros', () => {
    expect(microsFromMillis(1_394_406_401_395)).toBe(1_394_406_401_395_000n);
    expect(microsFromMillis(5n)).toBe(5_000n);
    const a = nowMicros();
    const b = nowMicros();
    expect(typeof a).toBe('bigint');
    expect(b >= a).toBe(true);
    expect(a > 1_700_000_000_000_000n).toBe(true);
  });

  // Reported, not fixed (src/model/time.ts is not this helper's): digits past the
  // microsecond are truncated silently instead of being refused.
  it('refuses sub-microsecond digits instead of truncating them', () => {
    expect(() => isoToMicros('2014-03-10T00:00:00.1234567Z')).toThrow(ValidationError);
    expect(isoToMicros('2014-03-10T00:00:00.123456000Z')).toBe(isoToMicros('2014-03-10T00:00:00.123456Z'));
  });
});
