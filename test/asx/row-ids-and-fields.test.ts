/**
 * The hot-path rewrites of the ASX row splitter and message-id builder must give exactly
 * what the straightforward versions give: String#split(',') and toString(16)/padStart.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CONTENT_HASH_SEED, DayIdSpace, hashText, idNumberText, SLOTS_PER_MICROSECOND, slotOfHash } from '../../src/sources/asx/record-ids.js';
import { splitRow } from '../../src/sources/asx/row-fields.js';
import { prng } from '../support/prng.js';

/**
 * The message id as specified, with BigInt: SHA-1 head of 8 bytes, then the hashed 8 bytes
 * XOR n (n < 2^53, so the variant bits are never touched), in padded hex.
 */
function referenceMessageId(idPrefix: string, n: number): string {
  const h = createHash('sha1').update(`k2:asx:v2:${idPrefix}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 8).toString('hex');
  const head = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-`;
  const tail = (h.readBigUInt64BE(8) ^ BigInt(n)).toString(16).padStart(16, '0');
  return `${head}${tail.slice(0, 4)}-${tail.slice(4)}`;
}

describe('ASX message ids', () => {
  it('are the reference UUIDs for edge and random numbers up to 2^53', () => {
    const rand = prng(7);
    for (const prefix of ['ASX-7078-20140102', 'ASX-7078-20140102-Q', 'ASX-BHP-20200101']) {
      const space = new DayIdSpace(prefix);
      const ns = [0, 1, 2, 15, 16, 255, 256, 4095, 4096, 65535, 65536, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, 2 ** 48 - 1, 2 ** 48, 2 ** 48 + 1, 863_999_999_999_9999, 2 ** 53 - 1];
      for (let i = 0; i < 5000; i++) ns.push(Math.floor(rand() * 2 ** 53));
      for (const n of ns) {
        const id = space.messageId(n);
        expect(id, `${prefix} #${n}`).toBe(referenceMessageId(prefix, n));
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
    }
  });
});

describe('ASX row numbers from content', () => {
  const AT = 28_961_459_000; // 08:02:41.459 in micros of the day
  const hash = (text: string): number => hashText(CONTENT_HASH_SEED, text);
  const contentSlot = (text: string): number => slotOfHash(hash(text));

  it('read back as the time of day, with the content hash as the slot', () => {
    const n = new DayIdSpace('ASX-7078-20140310').number(AT, hash('36714000000|5000000000000||X|'));
    expect(Math.floor(n / SLOTS_PER_MICROSECOND)).toBe(AT);
    expect(n % SLOTS_PER_MICROSECOND).toBe(contentSlot('36714000000|5000000000000||X|'));
  });

  it('do not depend on the other rows, their order, or rows left out', () => {
    const rand = prng(11);
    const rows = Array.from({ length: 400 }, () => ({ at: AT + Math.floor(rand() * 5) * 1000, content: `p${Math.floor(rand() * 40)}|v${Math.floor(rand() * 3)}` }));
    const numberAll = (list: typeof rows): number[] => {
      const space = new DayIdSpace('ASX-7078-20140310');
      return list.map((r) => space.number(r.at, hash(r.content)));
    };
    const full = numberAll(rows);
    expect(new Set(full).size).toBe(rows.length); // identical rows (many here) all get their own number
    // By content, the numbers of a subset (a split file, or one row removed) and of a
    // shuffled copy are those of the full file: counted as multisets per (time, content).
    const key = (r: { at: number; content: string }, n: number): string => `${r.at}|${r.content}|${n}`;
    const multiset = (list: typeof rows, ns: number[]): string[] => list.map((r, i) => key(r, ns[i]!)).sort();
    const shuffled = [...rows].sort(() => rand() - 0.5);
    expect(multiset(shuffled, numberAll(shuffled))).toEqual(multiset(rows, full));
    // distinct contents whose slots do not meet keep their exact number whatever is left out
    const slots = new Map<number, Set<string>>();
    for (const r of rows) {
      const k = r.at * SLOTS_PER_MICROSECOND + contentSlot(r.content);
      slots.set(k, (slots.get(k) ?? new Set()).add(r.content));
    }
    const alone = rows.map((r, i) => ({ r, i })).filter(({ r }) => rows.filter((o) => o.at === r.at && o.content === r.content).length === 1 && slots.get(r.at * SLOTS_PER_MICROSECOND + contentSlot(r.content))!.size === 1);
    expect(alone.length).toBeGreaterThan(20);
    const half = rows.filter((_, i) => i % 2 === 1);
    const halfNs = numberAll(half);
    for (const { r, i } of alone) if (i % 2 === 1) expect(halfNs[half.indexOf(r)]).toBe(full[i]);
  });

  it('are written as String(n) writes them', () => {
    const rand = prng(12);
    const ns = [0, 1, 9, 10, 99_999_999, 100_000_000, 100_000_001, 289_614_590_004_821, 999_999_999_999_999, 2 ** 53 - 1];
    for (let i = 0; i < 5000; i++) ns.push(Math.floor(rand() * 10 ** Math.floor(rand() * 16)));
    for (const n of ns) expect(idNumberText(n)).toBe(String(n));
  });

  it('are what plain linear probing over a set of taken numbers gives, with many identical rows and meeting hashes', () => {
    const rand = prng(13);
    const space = new DayIdSpace('ASX-1-20140310');
    const taken = new Set<number>();
    const reference = (at: number, h: number): number => {
      let slot = slotOfHash(h);
      while (taken.has(at * SLOTS_PER_MICROSECOND + slot)) slot = (slot + 1) % SLOTS_PER_MICROSECOND;
      taken.add(at * SLOTS_PER_MICROSECOND + slot);
      return at * SLOTS_PER_MICROSECOND + slot;
    };
    for (let i = 0; i < 20_000; i++) {
      const at = AT + Math.floor(rand() * 3);
      // few distinct hashes, some near the end of the slot range: identical rows, runs that meet, wrap-around
      const h = rand() < 0.5 ? Math.floor(rand() * 20) : SLOTS_PER_MICROSECOND - 1 - Math.floor(rand() * 20);
      expect(space.number(at, h)).toBe(reference(at, h));
    }
  });

  it('take the next free slot for an identical row, wrapping at the end of the microsecond', () => {
    const space = new DayIdSpace('ASX-1-20140310');
    const content = 'same';
    const first = space.number(AT, hash(content));
    const second = space.number(AT, hash(content));
    expect(second).toBe(first % SLOTS_PER_MICROSECOND === SLOTS_PER_MICROSECOND - 1 ? AT * SLOTS_PER_MICROSECOND : first + 1);
    expect(space.number(AT + 1, hash(content))).toBe((AT + 1) * SLOTS_PER_MICROSECOND + contentSlot(content));
    let last = 0;
    while (contentSlot(`c${last}`) !== SLOTS_PER_MICROSECOND - 1) last++;
    const lastSlot = `c${last}`;
    expect(space.number(AT + 2, hash(lastSlot))).toBe((AT + 2) * SLOTS_PER_MICROSECOND + SLOTS_PER_MICROSECOND - 1);
    expect(space.number(AT + 2, hash(lastSlot))).toBe((AT + 2) * SLOTS_PER_MICROSECOND);
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
