/**
 * Display formatting for the demo. Exact values (prices, quantities, VWAP) are
 * formatted from scaled bigints with src/model/decimal.ts, never via floats.
 */
import { formatScaled, type Scaled } from '../model/decimal.js';
import type { Micros } from '../model/trade.js';

/** Exact decimal with at least `minDecimals` fractional digits: 97250.1 -> "97250.10". */
export function formatDecimal(value: Scaled, minDecimals = 2): string {
  const s = formatScaled(value);
  const dot = s.indexOf('.');
  const decimals = dot < 0 ? 0 : s.length - dot - 1;
  if (decimals >= minDecimals) return s;
  return `${dot < 0 ? `${s}.` : s}${'0'.repeat(minDecimals - decimals)}`;
}

/** Rounds (half away from zero) to `decimals` places, then formats exactly with that many places. */
export function formatRounded(value: Scaled, decimals: number): string {
  const unit = 10n ** BigInt(8 - decimals);
  const abs = value < 0n ? -value : value;
  const rounded = ((abs + unit / 2n) / unit) * unit;
  return formatDecimal(value < 0n ? -rounded : rounded, decimals);
}

/** Signed change with its relative size, e.g. "+12.34 (+0.13%)". */
export function formatChange(change: Scaled | null, bps: number | null): string {
  if (change === null) return '—';
  const sign = change > 0n ? '+' : change < 0n ? '-' : '±';
  const abs = change < 0n ? -change : change;
  const pct = bps === null ? '' : ` (${sign === '-' ? '-' : '+'}${Math.abs(bps / 100).toFixed(3)}%)`;
  return `${sign}${formatDecimal(abs)}${pct}`;
}

/** HH:MM:SS.mmm in UTC. */
export function formatClock(us: Micros): string {
  return new Date(Number(us / 1000n)).toISOString().slice(11, 23);
}

/** HH:MM in UTC, for bar buckets. */
export function formatMinute(us: Micros): string {
  return new Date(Number(us / 1000n)).toISOString().slice(11, 16);
}

/** A short duration, e.g. 850 ms, 4.2 s, 3 m 05 s. */
export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${m} m ${String(s).padStart(2, '0')} s`;
}

export function formatCount(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

export function padLeft(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

export function padRight(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}
