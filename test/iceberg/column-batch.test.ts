/**
 * ColumnBatch: rows staged from record objects keep the records' values (every column
 * kind, nulls, empty strings, separators), select() keeps exactly the chosen rows, and
 * stageRow refuses what does not fit the table with an error naming the column.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AvroColumnDecoder } from '../../src/consume/avro-column-decoder.js';
import { CodeColumn, ColumnBatch, Int64Column, MapColumn, TEXT_SEPARATOR, TextColumn } from '../../src/iceberg/column-batch.js';
import { IcebergError } from '../../src/iceberg/errors.js';
import { QUOTES_TABLE, TRADES_TABLE, type TableDefinition } from '../../src/iceberg/table-definitions.js';
import { v2SchemaString, v2Type } from '../../src/schema/v2-schemas.js';
import { prng } from '../support/prng.js';
import { quote, trade } from '../support/v2-records.js';

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** Row i as plain values, column by column (null for null). */
function rowValues(batch: ColumnBatch, i: number): unknown[] {
  return batch.columns.map((c) => {
    if (c instanceof Int64Column) return c.isNull(i) ? null : c.values[i];
    if (c instanceof CodeColumn || c instanceof MapColumn) return c.valueAt(i);
    return c.textAt(i);
  });
}

/** A record's values in the table's column order (null for null or missing). */
function recordValues(def: TableDefinition<object>, rec: object): unknown[] {
  return def.columns.map((c) => (rec as Record<string, unknown>)[c.name] ?? null);
}

/** Every text value is followed by the separator: the writer's packing invariant. */
function separatorsInPlace(batch: ColumnBatch): boolean {
  for (const c of batch.columns) {
    if (!(c instanceof TextColumn)) continue;
    const t = c;
    for (let i = 0; i < batch.length; i++) if (t.bytes[t.ends[i]!] !== TEXT_SEPARATOR || t.startOf(i) > t.ends[i]!) return false;
  }
  return true;
}

const TEXTS = ['', 'x', 'BINANCE-17', 'é', '日本', 'a\u001fb', '😀😀', 'long-'.repeat(30)];

function randomTrade(rand: Rand, i: number): Record<string, unknown> {
  return {
    ...trade({ id: i }),
    trade_id: pick(rand, TEXTS) + String(i),
    symbol: pick(rand, ['BHP', '', 'é', 'CBA']),
    exchange: pick(rand, ['ASX', '', 'BINANCE']),
    price: pick(rand, [0n, -1n, 10n ** 18n - 1n, -(10n ** 18n - 1n), BigInt(Math.floor(rand() * 1e15))]),
    trade_conditions: pick(rand, [[], ['XT'], ['', 'a']]),
    source_sequence: rand() < 0.3 ? null : BigInt(Math.floor(rand() * 1e6)),
    platform_sequence: rand() < 0.5 ? null : pick(rand, [-(2n ** 63n), 2n ** 63n - 1n, 0n]),
    vendor_data: pick(rand, [null, {}, { k: 'v' }, { a: '', b: 'é' }, { x: '1', y: '2', z: '3' }]),
  };
}

function randomQuote(rand: Rand, i: number): Record<string, unknown> {
  const q: Record<string, unknown> = { ...quote(i, pick(rand, ['BHP', 'CBA', ''])) };
  for (const f of ['bid_price', 'bid_quantity', 'ask_price', 'ask_quantity']) q[f] = rand() < 0.4 ? null : BigInt(Math.floor(rand() * 1e12)) - 500_000_000_000n;
  q.quote_id = pick(rand, TEXTS);
  q.vendor_data = pick(rand, [null, {}, { k: 'v' }]);
  return q;
}

describe('ColumnBatch.appendRow', () => {
  it('keeps every record value, column by column, through growth of every column', () => {
    const rand = prng(21);
    for (const [def, make] of [
      [TRADES_TABLE, randomTrade],
      [QUOTES_TABLE, randomQuote],
    ] as const) {
      const batch = new ColumnBatch(def as TableDefinition<object>, 16);
      const recs = Array.from({ length: 700 }, (_, i) => make(rand, i));
      for (const r of recs) batch.appendRow(r);
      expect(batch.length).toBe(recs.length);
      recs.forEach((r, i) => {
        const got = rowValues(batch, i);
        const want = recordValues(def as TableDefinition<object>, r);
        if (!isDeepStrictEqual(got, want)) expect(got, `row ${i}`).toEqual(want);
      });
      expect(separatorsInPlace(batch)).toBe(true);
    }
  });
});

describe('ColumnBatch.select', () => {
  function checkSelect(batch: ColumnBatch, keep: Uint8Array): void {
    const out = batch.select(keep);
    const kept: number[] = [];
    for (let i = 0; i < batch.length; i++) if (keep[i] === 1) kept.push(i);
    expect(out.length).toBe(kept.length);
    kept.forEach((i, j) => {
      const got = rowValues(out, j);
      const want = rowValues(batch, i);
      if (!isDeepStrictEqual(got, want)) expect(got, `kept row ${j} (source row ${i})`).toEqual(want);
      // nulls are nulls (validity), not zero values
      batch.columns.forEach((c, k) => {
        const o = out.columns[k]!;
        if (c instanceof Int64Column && o instanceof Int64Column && c.isNull(i) !== o.isNull(j)) expect.fail(`${c.def.name} null flag of kept row ${j}`);
      });
    });
    expect(separatorsInPlace(out)).toBe(true);
    // a batch made by select is a full batch: rows can be appended to it and read back
    if (kept.length > 0) {
      const again = out.select(new Uint8Array(out.length).fill(1));
      expect(again.length).toBe(out.length);
      for (let j = 0; j < out.length; j++) if (!isDeepStrictEqual(rowValues(again, j), rowValues(out, j))) expect.fail(`select of select, row ${j}`);
    }
  }

  it('keeps exactly the chosen rows (values, nulls, empty strings, maps), for random, all and no rows', () => {
    const rand = prng(22);
    for (const [def, make] of [
      [TRADES_TABLE, randomTrade],
      [QUOTES_TABLE, randomQuote],
    ] as const) {
      const batch = new ColumnBatch(def as TableDefinition<object>, 16);
      for (let i = 0; i < 300; i++) batch.appendRow(make(rand, i));
      for (let round = 0; round < 8; round++) {
        const p = rand();
        checkSelect(batch, Uint8Array.from({ length: batch.length }, () => (rand() < p ? 1 : 0)));
      }
      checkSelect(batch, new Uint8Array(batch.length).fill(1));
      checkSelect(batch, new Uint8Array(batch.length));
      const first = new Uint8Array(batch.length);
      first[0] = 1;
      checkSelect(batch, first);
      const last = new Uint8Array(batch.length);
      last[batch.length - 1] = 1;
      checkSelect(batch, last);
    }
  });

  it('keeps rows staged by the column decoder and by stageRow alike (shared dictionaries, one string coded twice)', () => {
    const rand = prng(23);
    const def = TRADES_TABLE as TableDefinition<object>;
    const dec = new AvroColumnDecoder(v2SchemaString('trades'), def.columns.map((c) => c.name));
    const batch = new ColumnBatch(def, 16);
    for (let i = 0; i < 200; i++) {
      const r = { ...trade({ id: i }), symbol: pick(rand, ['BHP', 'CBA']), trade_id: pick(rand, ['', 'A-1', 'B\u001f2']) };
      const body = v2Type('trades').toBuffer(r);
      if (rand() < 0.5) {
        expect(dec.decode(batch, body, 0, body.length)).toBe(true);
        batch.commitRow();
      } else batch.appendRow(v2Type('trades').fromBuffer(body) as object);
    }
    expect(batch.codes('symbol').values.filter((v) => v === 'BHP').length).toBe(2); // coded by bytes and by value
    checkSelect(batch, Uint8Array.from({ length: batch.length }, () => (rand() < 0.5 ? 1 : 0)));
    const out = batch.select(new Uint8Array(batch.length).fill(1));
    expect(out.text('trade_id').hasSeparator).toBe(true);
  });

  it('a batch without U+001F in its text selects to one without', () => {
    const batch = new ColumnBatch(TRADES_TABLE as TableDefinition<object>);
    batch.appendRow(trade({ id: 1 }));
    batch.appendRow({ ...trade({ id: 2 }), trade_id: '' });
    const out = batch.select(Uint8Array.from([0, 1]));
    expect(out.text('trade_id').hasSeparator).toBe(false);
    expect(out.text('trade_id').textAt(0)).toBe('');
  });
});

describe('ColumnBatch.stageRow refuses what does not fit, naming the column', () => {
  const def = TRADES_TABLE as TableDefinition<object>;
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['required null', { symbol: null }, 'symbol', /required column symbol is null/],
    ['required missing', { trade_id: undefined }, 'trade_id', /required column trade_id is null/],
    ['required null (int64)', { timestamp: null }, 'timestamp', /required column timestamp is null/],
    ['required null (list)', { trade_conditions: null }, 'trade_conditions', /required column trade_conditions is null/],
    ['decimal beyond 18 digits', { price: 10n ** 18n }, 'price', /price value 1000000000000000000 is out of range for decimal\(18, 8\)/],
    ['negative decimal beyond 18 digits', { quantity: -(10n ** 18n) }, 'quantity', /quantity .* out of range for decimal\(18, 8\)/],
    ['long beyond int64', { source_sequence: 2n ** 63n }, 'source_sequence', /source_sequence .* out of range for int64/],
    ['decimal as a number', { price: 1.5 }, 'price', /price must be a bigint, got number/],
    ['timestamp as a number', { timestamp: 1_700_000_000_000_000 }, 'timestamp', /timestamp must be a bigint, got number/],
    ['text column as a number', { trade_id: 17 }, 'trade_id', /trade_id must be a string, got number/],
    ['coded string as a number', { symbol: 5 }, 'symbol', /symbol must be a string, got number/],
    ['list as a string', { trade_conditions: 'XT' }, 'trade_conditions', /trade_conditions must be a list of strings/],
    ['list of numbers', { trade_conditions: [1] }, 'trade_conditions', /trade_conditions must be a list of strings/],
    ['map with a number value', { vendor_data: { a: 1 } }, 'vendor_data', /vendor_data must be a map of strings/],
    ['map as an array', { vendor_data: ['a'] }, 'vendor_data', /vendor_data must be a map of strings/],
    ['map as a string', { vendor_data: 'a=1' }, 'vendor_data', /vendor_data must be a map of strings/],
  ];
  for (const [what, patch, column, message] of cases) {
    it(`${what}: IcebergError naming ${column}; the batch is unchanged and takes the next row`, () => {
      const batch = new ColumnBatch(def, 16);
      const good = { ...trade({ id: 1 }), trade_id: 'first\u00e9' };
      batch.appendRow(good);
      let err: unknown;
      try {
        batch.appendRow({ ...trade({ id: 2 }), message_id: 'written-before-the-error', ...patch });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(IcebergError);
      expect((err as IcebergError).message).toMatch(message);
      expect((err as IcebergError).context).toMatchObject({ table: 'trades_v2', column, row: 1 });
      expect(batch.length).toBe(1);
      const next = { ...trade({ id: 3 }), trade_id: 'third' };
      batch.appendRow(next);
      expect(batch.length).toBe(2);
      expect(rowValues(batch, 0)).toEqual(recordValues(def, good));
      expect(rowValues(batch, 1)).toEqual(recordValues(def, next));
      expect(separatorsInPlace(batch)).toBe(true);
    });
  }

  it('accepts the exact decimal and int64 bounds', () => {
    const batch = new ColumnBatch(def);
    const r = { ...trade({ id: 1 }), price: 10n ** 18n - 1n, quantity: -(10n ** 18n - 1n), source_sequence: -(2n ** 63n), platform_sequence: 2n ** 63n - 1n };
    batch.appendRow(r);
    expect(rowValues(batch, 0)).toEqual(recordValues(def, r));
  });
});

describe('MapColumn keeps every map exactly', () => {
  // vendor_data rows are a shape (the keys) plus the values joined by U+001E in an arena
  const def = TRADES_TABLE as TableDefinition<object>;
  const roundTrip = (maps: (Record<string, string> | null)[]): (Record<string, string> | null)[] => {
    const batch = new ColumnBatch(def, 16);
    for (const m of maps) batch.appendRow({ ...trade({ id: 1 }), vendor_data: m });
    return maps.map((_, i) => batch.column('vendor_data') instanceof MapColumn ? (batch.column('vendor_data') as MapColumn).valueAt(i) : null);
  };

  it('ordinary maps, empty maps, empty keys and values, nulls', () => {
    const maps: (Record<string, string> | null)[] = [{ a: '1' }, null, {}, { a: '', b: '' }, { x: 'é', y: '日本', z: '\u001f' }, { a: '2' }, {}];
    expect(roundTrip(maps)).toEqual(maps);
  });

  it('a value holding U+001E (the arena separator between values)', () => {
    const maps: Record<string, string>[] = [{ a: 'x\u001ey', b: 'z' }, { only: '\u001e' }];
    expect(roundTrip(maps)).toEqual(maps);
  });

  it('an empty map and a map whose only key is the empty string, in either order', () => {
    expect(roundTrip([{}, { '': 'x' }])).toEqual([{}, { '': 'x' }]);
    expect(roundTrip([{ '': 'x' }, {}])).toEqual([{ '': 'x' }, {}]);
  });

  it('keys holding U+0000 (shapes must not collide: ["a\\u0000b"] vs ["a", "b"])', () => {
    expect(roundTrip([{ 'a\u0000b': 'v' }, { a: '1', b: '2' }])).toEqual([{ 'a\u0000b': 'v' }, { a: '1', b: '2' }]);
  });
});
