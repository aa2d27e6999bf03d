import { describe, expect, it } from 'vitest';
import { TableBuffer } from '../../src/consume/table-buffer.js';

describe('TableBuffer in-batch dedupe', () => {
  it('drops a repeated (exchange, symbol, id) only, wherever it repeats', () => {
    const b = new TableBuffer<string>();
    expect(b.add('asx', 'BHP', '1', 'a')).toBe(true);
    expect(b.add('asx', 'BHP', '1', 'dup')).toBe(false);
    expect(b.add('asx', 'CBA', '1', 'b')).toBe(true); // same id, other symbol
    expect(b.add('binance', 'BHP', '1', 'c')).toBe(true); // same id and symbol, other exchange
    expect(b.add('asx', 'BHP', '2', 'd')).toBe(true);
    expect(b.add('asx', 'CBA', '1', 'dup')).toBe(false); // after switching symbols back and forth
    expect(b.add('binance', 'BHP', '1', 'dup')).toBe(false);
    expect(b.rows).toEqual(['a', 'b', 'c', 'd']);
    expect(b.droppedDuplicates).toBe(3);
  });

  it('does not confuse exchange/symbol pairs whose concatenations collide', () => {
    const b = new TableBuffer<string>();
    expect(b.add('ab', 'c', '1', 'x')).toBe(true);
    expect(b.add('a', 'bc', '1', 'y')).toBe(true);
    expect(b.rows).toEqual(['x', 'y']);
  });
});
