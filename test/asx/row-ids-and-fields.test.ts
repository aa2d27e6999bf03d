/**
 * The hot-path rewrites of the ASX row splitter and message-id builder must give exactly
 * what the straightforward versions give: String#split(',') and toString(16)/padStart.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DayIdSpace } from '../../src/sources/asx/record-ids.js';
import { splitRow } from '../../src/sources/asx/row-fields.js';
import { prng } from '../support/prng.js';

/** The message id as first specified: SHA-1 head, then (low16 ^ hi) and (low32 ^ lo) in padded hex. */
function referenceMessageId(idPrefix: string, n: number): string {
  const h = createHash('sha1').update(`k2:asx:v1:${idPrefix}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 10).toString('hex');
  const head = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`;
  const hi = Math.floor(n / 2 ** 32);
  const lo = n - hi * 2 ** 32;
  const a = (h.readUInt16BE(10) ^ hi) & 0xffff;
  const b = (h.readUInt32BE(12) ^ lo) >>> 0;
  return head + a.toString(16).padStart(4, '0') + b.toString(16).padStart(8, '0');
}

describe('ASX message ids', () => {
  it('are the reference UUIDs for edge and random ordinals', () => {
    const rand = prng(7);
    for (const prefix of ['ASX-7078-20140102', 'ASX-7078-20140102-Q', 'ASX-BHP-20200101']) {
      const space = new DayIdSpace(prefix);
      const ns = [1, 2, 15, 16, 255, 256, 4095, 4096, 65535, 65536, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, 2 ** 48 - 1];
      for (let i = 0; i < 5000; i++) ns.push(1 + Math.floor(rand() * (2 ** 48 - 1)));
      for (const n of ns) {
        const id = space.messageId(n);
        expect(id, `${prefix} #${n}`).toBe(referenceMessageId(prefix, n));
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
    }
  });
});

describe('ASX row splitting', () => {
  it('splits unquoted rows exactly like String#split(",")', () => {
    const rand = prng(8);
    const alphabet = ['a', '1', ',', ',', ' ', '.', ':', 'é', '日', '/', '-'];
    const rows = ['a', 'a,b', ',', ',,', 'a,', ',a', '01/02/2014,07:57:14.754,36.667,20000,3,X,', 'x,,y,,', ' , '];
    for (let i = 0; i < 3000; i++) {
      const n = 1 + Math.floor(rand() * 60);
      rows.push(Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]!).join(''));
    }
    for (const row of rows) {
      const expected = row.trim() === '' && !row.includes(',') ? null : row.split(',');
      expect(splitRow(row), JSON.stringify(row)).toEqual(expected);
      expect(splitRow(`${row}\r`), JSON.stringify(`${row}\\r`)).toEqual(expected);
    }
  });
});
