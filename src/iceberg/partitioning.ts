/** The k2 partition transforms: day(timestamp) and identity(exchange). */
import { MICROS_PER_DAY } from '../model/time.js';
import type { PartitionValues } from './data-file.js';

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
export const DAY_US = 86_400_000_000;

/** Days since 1970-01-01, flooring for pre-epoch values (Java's Days transform). */
export function dayOf(micros: bigint): number {
  if (micros < SAFE && micros > -SAFE) return Math.floor(Number(micros) / DAY_US);
  let d = micros / MICROS_PER_DAY;
  if (micros < 0n && d * MICROS_PER_DAY !== micros) d -= 1n;
  return Number(d);
}

/** 19724 -> "2024-01-02" */
export function dayToIso(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Hive-style relative directory of a partition, e.g. timestamp_day=2024-01-02/exchange=ASX (Java's layout). */
export function partitionPath(p: PartitionValues): string {
  const day = p.timestamp_day === null ? 'null' : dayToIso(p.timestamp_day);
  const ex = p.exchange === null ? 'null' : encodeURIComponent(p.exchange);
  return `timestamp_day=${day}/exchange=${ex}`;
}

export function partitionKey(p: PartitionValues): string {
  return `${p.timestamp_day ?? 'null'}|${p.exchange ?? 'null'}`;
}

/** For people: "2024-01-02/ASX". */
export function partitionLabel(p: PartitionValues): string {
  return `${p.timestamp_day === null ? 'null' : dayToIso(p.timestamp_day)}/${p.exchange ?? 'null'}`;
}
