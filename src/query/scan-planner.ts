/**
 * Scan planning: keeps only the data files that can hold rows matching a filter,
 * using the partition values (day of timestamp, exchange) and the column bounds
 * (symbol, timestamp) recorded in the manifests. Files without a value or bound
 * are kept: pruning never drops a file that might match.
 */
import { MICROS_PER_DAY } from '../model/time.js';
import type { DataFileInfo } from './data-file-source.js';
import type { ScanFilter } from './scan-filter.js';

export interface ScanPlan {
  /** The files to hand to DuckDB, in a stable order. */
  files: DataFileInfo[];
  filesScanned: number;
  filesSkipped: number;
  /** Records in the scanned files (from the manifests). */
  recordsScanned: number;
  /** Files skipped, by the first reason that excluded them. */
  skippedBy: { partition: number; bounds: number };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function partitionExcludes(file: DataFileInfo, filter: ScanFilter): boolean {
  const { timestampDay, exchange } = file.partition;
  if (filter.exchange !== undefined && exchange !== null && exchange !== filter.exchange) return true;
  if (timestampDay !== null) {
    const day = BigInt(timestampDay);
    if (filter.fromMicros !== undefined && day < floorDiv(filter.fromMicros, MICROS_PER_DAY)) return true;
    if (filter.toMicros !== undefined && day > floorDiv(filter.toMicros - 1n, MICROS_PER_DAY)) return true;
  }
  return false;
}

function boundsExclude(file: DataFileInfo, filter: ScanFilter): boolean {
  const sb = file.symbolBounds;
  if (sb !== null && filter.symbols !== undefined) {
    const anyInside = filter.symbols.some((s) => utf8Compare(s, sb.lower) >= 0 && utf8Compare(s, sb.upper) <= 0);
    if (!anyInside) return true;
  }
  const tb = file.timestampBounds;
  if (tb !== null) {
    if (filter.fromMicros !== undefined && tb.upper < filter.fromMicros) return true;
    if (filter.toMicros !== undefined && tb.lower >= filter.toMicros) return true;
  }
  return false;
}

export function planScan(files: readonly DataFileInfo[], filter: ScanFilter): ScanPlan {
  const kept: DataFileInfo[] = [];
  let partition = 0;
  let bounds = 0;
  let records = 0;
  for (const f of files) {
    if (partitionExcludes(f, filter)) partition++;
    else if (boundsExclude(f, filter)) bounds++;
    else {
      kept.push(f);
      records += f.recordCount;
    }
  }
  return {
    files: kept,
    filesScanned: kept.length,
    filesSkipped: partition + bounds,
    recordsScanned: records,
    skippedBy: { partition, bounds },
  };
}

/** The exchanges (partition values) of the files that may hold a symbol; null inside means unknown. */
export function exchangesForSymbol(files: readonly DataFileInfo[], symbol: string): Set<string | null> {
  const out = new Set<string | null>();
  for (const f of files) {
    if (!boundsExclude(f, { symbols: [symbol] })) out.add(f.partition.exchange);
  }
  return out;
}
