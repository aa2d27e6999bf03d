/** Binance millisecond times as v2 micros. */
import { microsFromMillis } from '../../../model/time.js';
import type { Micros } from '../../../model/trade.js';

/** Below this, ms * 1000 is an exact double (until the year 2255). */
const MAX_EXACT_MILLIS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** microsFromMillis(ms) with one BigInt instead of two for every realistic time. */
export function tradeTimeMicros(ms: number): Micros {
  return ms <= MAX_EXACT_MILLIS ? BigInt(ms * 1000) : microsFromMillis(ms);
}

// The last two millisecond times converted to text. A trade's event time is often
// the next trade's trade time, and bursts share one millisecond; String() of a
// 13-digit time costs about 250 ns here, and a shared string is also less heap.
let lastMs = -1;
let lastText = '';
let prevMs = -1;
let prevText = '';

/** String(ms), remembered for the last two times asked for. */
export function millisText(ms: number): string {
  if (ms === lastMs) return lastText;
  if (ms === prevMs) return prevText;
  // equal to String(ms) for safe integers, and about twice as fast for 13-digit ones
  const text = Number.isSafeInteger(ms) ? BigInt(ms).toString() : String(ms);
  prevMs = lastMs;
  prevText = lastText;
  lastMs = ms;
  lastText = text;
  return text;
}
