import { describe, expect, it } from 'vitest';
import { CompactIdSet } from '../../src/consume/compact-id-set.js';
import { prng } from '../support/prng.js';

describe('CompactIdSet', () => {
  it('agrees with a Set<string> under random adds and lookups of numbered and other ids', () => {
    const rand = prng(42);
    for (let round = 0; round < 20; round++) {
      const ref = new Set<string>();
      const ids = new CompactIdSet();
      // prefixes ending in a digit (ids like "A05" split as "A0" + 5) exercise the regex path beside the fast one
      const prefixes = ['', 'ASX-7078-20140102-', 'X', 'ASX-7078-20140103-', 'A0', 'B1'];
      const pick = (): string => {
        const r = rand();
        if (r < 0.05) return `00${Math.floor(rand() * 50)}`; // leading zeros: kept as strings
        if (r < 0.08) return 'no-digits';
        if (r < 0.1) return '1234567890123456789'; // too many digits for a double
        if (r < 0.12) return '0';
        const p = prefixes[Math.floor(rand() * prefixes.length)]!;
        // clustered numbers, so runs form, merge and split
        return `${p}${Math.floor(rand() * 300) + (round % 2 === 0 ? 0 : 1_000_000)}`;
      };
      for (let i = 0; i < 2000; i++) {
        const id = pick();
        if (rand() < 0.6) {
          ref.add(id);
          ids.add(id);
        }
        const probe = pick();
        expect(ids.has(probe), probe).toBe(ref.has(probe));
      }
      expect(ids.size).toBe(ref.size);
      for (const id of ref) expect(ids.has(id), id).toBe(true);
    }
  });

  it('keeps a day of consecutive trade ids as a few runs, whatever the arrival order', () => {
    const ids = new CompactIdSet();
    const n = 100_000;
    for (let i = 1; i <= n; i += 2) ids.add(`ASX-7078-20140102-${i}`); // odd ids: 50k runs...
    expect(ids.footprint).toBe(n / 2);
    for (let i = n; i >= 2; i -= 2) ids.add(`ASX-7078-20140102-${i}`); // ...even ids fill the holes from the top
    expect(ids.size).toBe(n);
    expect(ids.footprint).toBe(1);
    expect(ids.has('ASX-7078-20140102-0')).toBe(false);
    expect(ids.has('ASX-7078-20140102-1')).toBe(true);
    expect(ids.has(`ASX-7078-20140102-${n}`)).toBe(true);
    expect(ids.has(`ASX-7078-20140102-${n + 1}`)).toBe(false);
    expect(ids.has('ASX-7078-20140103-5')).toBe(false);
    expect(ids.has('ASX-7078-20140102-05')).toBe(false); // a different id than ...-5
  });
});
