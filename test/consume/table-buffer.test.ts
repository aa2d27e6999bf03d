/**
 * TableBuffer's in-batch dedupe by (exchange, symbol, id) on staged rows, whichever path
 * staged them: the column decoder (strings coded by their encoded bytes, ids in the text
 * arena) or ColumnBatch.stageRow of a record object (strings coded by value).
 */
import { describe, expect, it } from 'vitest';
import { AvroColumnDecoder } from '../../src/consume/avro-column-decoder.js';
import { TableBuffer, idColumnName } from '../../src/consume/table-buffer.js';
import type { ColumnBatch } from '../../src/iceberg/column-batch.js';
import { QUOTES_TABLE, TRADES_TABLE, type TableDefinition } from '../../src/iceberg/table-definitions.js';
import { v2SchemaString, v2Type } from '../../src/schema/v2-schemas.js';
import { prng } from '../support/prng.js';
import { quote, trade } from '../support/v2-records.js';

type Kind = 'trades' | 'quotes';
type Path = 'decoder' | 'object';

function decoderFor(kind: Kind, def: TableDefinition<object>): AvroColumnDecoder {
  return new AvroColumnDecoder(v2SchemaString(kind), def.columns.map((c) => c.name));
}

/** A buffer with a helper that stages a record through either path and offers it. */
function setup(kind: Kind = 'trades', capacity = 16) {
  const def = (kind === 'trades' ? TRADES_TABLE : QUOTES_TABLE) as TableDefinition<object>;
  const buffer = new TableBuffer(def, capacity);
  const decoder = decoderFor(kind, def);
  const offer = (exchange: string, symbol: string, id: string, path: Path): boolean => {
    const rec: Record<string, unknown> = kind === 'trades' ? { ...trade({ id: 1 }) } : { ...quote(1) };
    rec.exchange = exchange;
    rec.symbol = symbol;
    rec[idColumnName(def)] = id;
    const before = buffer.length;
    if (path === 'decoder') {
      const body = v2Type(kind).toBuffer(rec);
      const ok = decoder.decode(buffer.batch, body, 0, body.length);
      // the decoder takes ASCII ids itself; anything else is staged by the generic path, as in the consumer
      if (!ok) buffer.batch.stageRow(v2Type(kind).fromBuffer(body) as object);
    } else buffer.batch.stageRow(rec);
    const accepted = buffer.acceptStaged();
    if (buffer.length !== before + (accepted ? 1 : 0)) expect.fail(`acceptStaged returned ${accepted} but length went ${before} -> ${buffer.length}`);
    return accepted;
  };
  return { buffer, offer, decoder };
}

function keys(batch: ColumnBatch, def: TableDefinition<object>): string[] {
  const ex = batch.codes('exchange');
  const sym = batch.codes('symbol');
  const id = batch.text(idColumnName(def));
  return Array.from({ length: batch.length }, (_, i) => JSON.stringify([ex.valueAt(i), sym.valueAt(i), id.textAt(i)]));
}

describe('TableBuffer in-batch dedupe', () => {
  it('drops a repeated (exchange, symbol, id) only, wherever it repeats', () => {
    for (const path of ['decoder', 'object'] as const) {
      const { buffer, offer } = setup();
      expect(offer('asx', 'BHP', '1', path)).toBe(true);
      expect(offer('asx', 'BHP', '1', path)).toBe(false);
      expect(offer('asx', 'CBA', '1', path)).toBe(true); // same id, other symbol
      expect(offer('binance', 'BHP', '1', path)).toBe(true); // same id and symbol, other exchange
      expect(offer('asx', 'BHP', '2', path)).toBe(true);
      expect(offer('asx', 'CBA', '1', path)).toBe(false); // after switching symbols back and forth
      expect(offer('binance', 'BHP', '1', path)).toBe(false);
      expect(buffer.length).toBe(4);
      expect(buffer.droppedDuplicates).toBe(3);
      expect(keys(buffer.batch, TRADES_TABLE as TableDefinition<object>)).toEqual([
        '["asx","BHP","1"]',
        '["asx","CBA","1"]',
        '["binance","BHP","1"]',
        '["asx","BHP","2"]',
      ]);
    }
  });

  it('catches duplicates across the two paths (the same strings coded twice: by bytes and by value)', () => {
    const { buffer, offer } = setup();
    expect(offer('BINANCE', 'BTCUSDT', 'BINANCE-1', 'decoder')).toBe(true);
    expect(offer('BINANCE', 'BTCUSDT', 'BINANCE-1', 'object')).toBe(false);
    expect(offer('ASX', 'BHP', 'ASX-7078-20140102-17', 'object')).toBe(true);
    expect(offer('ASX', 'BHP', 'ASX-7078-20140102-17', 'decoder')).toBe(false);
    // ids that are not numbered (kept as strings), and an id the decoder leaves to the generic path
    for (const id of ['abc', '', 'x\n1', 'ASX-007', 'é-1', 'A\u001f9']) {
      expect(offer('ASX', 'BHP', id, 'decoder'), id).toBe(true);
      expect(offer('ASX', 'BHP', id, 'object'), id).toBe(false);
      expect(offer('ASX', 'BHP', id, 'decoder'), id).toBe(false);
    }
    // the two codes of one string really exist (else this test would not test the cross-path case;
    // should the batch ever code a string once whichever path staged it, this line can go)
    const ex = buffer.batch.codes('exchange');
    expect(ex.values.filter((v) => v === 'ASX').length).toBe(2);
    expect(buffer.droppedDuplicates).toBe(2 + 12);
  });

  it('does not confuse exchange/symbol pairs whose concatenations collide', () => {
    for (const [p1, p2] of [
      ['decoder', 'decoder'],
      ['object', 'decoder'],
      ['decoder', 'object'],
      ['object', 'object'],
    ] as const) {
      const { buffer, offer } = setup();
      expect(offer('ab', 'c', '1', p1)).toBe(true);
      expect(offer('a', 'bc', '1', p2)).toBe(true);
      expect(offer('abc', '', '1', p2)).toBe(true);
      expect(offer('', 'abc', '1', p1)).toBe(true);
      expect(buffer.length).toBe(4);
    }
  });

  it('keeps ids that split alike but differ (leading zeros, 16+ digits, prefixes ending in digits)', () => {
    const { buffer, offer } = setup();
    const ids = ['7', '07', '007', '0', '00', 'A7', 'A07', 'A0', 'A00', '1234567890123456', '234567890123456', '1' + '0'.repeat(15), '0'.repeat(15), 'A1', 'A01'];
    for (const id of ids) expect(offer('ASX', 'BHP', id, 'decoder'), id).toBe(true);
    for (const id of ids) expect(offer('ASX', 'BHP', id, 'object'), id).toBe(false);
    expect(buffer.length).toBe(ids.length);
  });

  it('agrees with a set of (exchange, symbol, id) under random offers through both paths', () => {
    const rand = prng(99);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const exchanges = ['ASX', 'BINANCE', 'ab', 'a', '', 'É'];
    const symbols = ['BHP', 'c', 'bc', 'CBA', '', 'ü', 'X'.repeat(70)];
    const prefixes = ['ASX-7078-20140102-', 'BINANCE-', '', 'A0', 'x\n', 'é', 'a\u001f'];
    for (const kind of ['trades', 'quotes'] as const) {
      const { buffer, offer } = setup(kind);
      const seen = new Set<string>();
      const expected: string[] = [];
      let dups = 0;
      for (let k = 0; k < 1200; k++) {
        const id = rand() < 0.1 ? pick(['', '0', '00', 'abc', '12345678901234567']) : `${pick(prefixes)}${rand() < 0.1 ? '0' : ''}${Math.floor(rand() * 12)}`;
        const key = JSON.stringify([pick(exchanges), pick(symbols), id]);
        const [ex, sym] = JSON.parse(key) as [string, string];
        const isNew = !seen.has(key);
        seen.add(key);
        if (isNew) expected.push(key);
        else dups++;
        const got = offer(ex, sym, id, rand() < 0.5 ? 'decoder' : 'object');
        if (got !== isNew) expect.fail(`${kind} offer ${key}: accepted ${got}, expected ${isNew}`);
      }
      expect(buffer.droppedDuplicates).toBe(dups);
      expect(keys(buffer.batch, buffer.batch.def)).toEqual(expected);
      expect(dups).toBeGreaterThan(150);
    }
  });
});

describe('TableBuffer bookkeeping', () => {
  it('tracks offsets per partition and is empty only with no rows and no pending offsets', () => {
    const { buffer, offer } = setup();
    expect(buffer.isEmpty).toBe(true);
    buffer.noteMessages('t', 0, 5n, 9n, 100);
    expect(buffer.isEmpty).toBe(false); // offsets to commit even when every message was a duplicate or dead-lettered
    buffer.noteMessages('t', 0, 9n, 12n, 200);
    buffer.noteMessages('t', 1, 0n, 1n, 300);
    expect([...buffer.firstOffsets.values()].map((f) => [f.partition, f.offset])).toEqual([
      [0, 5n],
      [1, 0n],
    ]);
    expect(buffer.firstAt).toBe(100);
    expect(offer('ASX', 'BHP', '1', 'decoder')).toBe(true);
    expect(buffer.length).toBe(1);
  });
});
