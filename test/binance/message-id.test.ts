import { describe, expect, it } from 'vitest';
import { newMessageId, writeMessageId } from '../../src/sources/binance/message-id.js';

describe('newMessageId', () => {
  it('gives distinct version-4 UUIDs across several refills of its pool', () => {
    const ids = Array.from({ length: 5000 }, () => newMessageId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every hex digit in every free position (not a fixed or short pattern)', () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 3000; i++) [...newMessageId()].forEach((c, j) => seen[j]!.add(c));
    seen.forEach((chars, j) => {
      if ([8, 13, 18, 23].includes(j)) expect([...chars]).toEqual(['-']);
      else if (j === 14) expect([...chars]).toEqual(['4']);
      else if (j === 19) expect([...chars].sort()).toEqual(['8', '9', 'a', 'b']);
      else expect(chars.size, `position ${j}`).toBe(16);
    });
  });

  it('writeMessageId writes fresh ids as 36 ASCII bytes, from the same pool (no id twice, mixed with newMessageId)', () => {
    const buf = Buffer.alloc(40, 0x2a);
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) ids.push(newMessageId());
      else {
        writeMessageId(buf, 2);
        ids.push(buf.toString('latin1', 2, 38));
        expect([buf[1], buf[38]]).toEqual([0x2a, 0x2a]); // nothing written around it
      }
    }
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
