/**
 * Turns DuckDB's `COPY ... (RETURN_STATS true)` column statistics into Iceberg
 * metrics: value/null counts, column sizes and single-value encoded bounds.
 * DuckDB prints min/max as text: decimals exactly ("12.50000000"), timestamptz in
 * the session time zone (UTC, "2014-03-10 02:06:41.395123+00").
 */
import { parseScaled } from '../model/decimal.js';
import { IcebergError } from './errors.js';
import type { ColumnDef } from './table-definitions.js';
import { encodeDecimal, encodeLong, encodeString, truncateStringLower, truncateStringUpper } from './single-value.js';

export type ColumnStats = Map<string, Map<string, string>>;

const TS_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** DuckDB's text form of a TIMESTAMPTZ, to exact micros. */
export function parseDuckDbTimestamp(text: string): bigint {
  const m = TS_RE.exec(text.trim());
  if (m === null) throw new IcebergError(`unexpected DuckDB timestamp ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, frac = '', sign, oh = '00', om = '00'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  let us = BigInt(ms) * 1000n + BigInt(frac.padEnd(6, '0'));
  if (sign !== undefined) {
    const off = BigInt(Number(oh) * 60 + Number(om)) * 60_000_000n;
    us = sign === '+' ? us - off : us + off;
  }
  return us;
}

/** Normalises DuckDB's stats keys ("\"price\"", "\"tags\".\"element\"") to dotted paths. */
export function statsByPath(raw: { key: string; value: { key: string; value: string }[] }[]): ColumnStats {
  const out: ColumnStats = new Map();
  for (const { key, value } of raw) {
    const path = key
      .split('.')
      .map((p) => p.replace(/^"|"$/g, ''))
      .join('.');
    out.set(path, new Map(value.map((e) => [e.key, e.value])));
  }
  return out;
}

export interface IcebergMetrics {
  columnSizes: Map<number, bigint>;
  valueCounts: Map<number, bigint>;
  nullValueCounts: Map<number, bigint>;
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
}

function encodeBound(c: ColumnDef, text: string, upper: boolean): Uint8Array | null {
  switch (c.kind) {
    case 'string': {
      const v = upper ? truncateStringUpper(text) : truncateStringLower(text);
      return v === null ? null : encodeString(v);
    }
    case 'decimal':
      return encodeDecimal(parseScaled(text));
    case 'timestamptz':
      return encodeLong(parseDuckDbTimestamp(text));
    case 'long':
      return encodeLong(BigInt(text));
    default:
      return null;
  }
}

/** Leaf paths of a column with the field id each leaf carries. */
function leaves(c: ColumnDef): [string, number][] {
  if (c.kind === 'string_list') return [[`${c.name}.element`, c.childIds![0]!]];
  if (c.kind === 'string_map') return [
    [`${c.name}.key`, c.childIds![0]!],
    [`${c.name}.value`, c.childIds![1]!],
  ];
  return [[c.name, c.id]];
}

/**
 * Metrics in Java's style: column sizes for every leaf; counts and bounds for
 * top-level primitive columns only (none inside lists and maps).
 */
export function metricsFromStats(columns: readonly ColumnDef[], stats: ColumnStats, rowCount: bigint): IcebergMetrics {
  const m: IcebergMetrics = { columnSizes: new Map(), valueCounts: new Map(), nullValueCounts: new Map(), lowerBounds: new Map(), upperBounds: new Map() };
  for (const c of columns) {
    for (const [path, id] of leaves(c)) {
      const size = stats.get(path)?.get('column_size_bytes');
      if (size !== undefined) m.columnSizes.set(id, BigInt(size));
    }
    if (c.kind === 'string_list' || c.kind === 'string_map') continue;
    const s = stats.get(c.name);
    if (s === undefined) continue;
    const nulls = BigInt(s.get('null_count') ?? '0');
    m.valueCounts.set(c.id, BigInt(s.get('num_values') ?? rowCount.toString()));
    m.nullValueCounts.set(c.id, nulls);
    const min = s.get('min');
    const max = s.get('max');
    if (min !== undefined && max !== undefined && nulls < rowCount) {
      const lo = encodeBound(c, min, false);
      const hi = encodeBound(c, max, true);
      if (lo !== null) m.lowerBounds.set(c.id, lo);
      if (hi !== null) m.upperBounds.set(c.id, hi);
    }
  }
  return m;
}
