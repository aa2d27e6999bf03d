import { describe, expect, it } from 'vitest';
import { CommittedIdIndex, type IdSlice } from '../../src/consume/committed-id-index.js';

const slice = (day: number): IdSlice => ({ exchange: 'ASX', symbol: 'BHP', day });
/** A loader whose committed ids are one per day: ASX-7078-<day>-1. */
const loader = async (slices: readonly IdSlice[]): Promise<string[][]> => slices.map((s) => [`ASX-7078-${s.day}-1`]);

describe('CommittedIdIndex', () => {
  it('keeps every slice of a batch that spans more slices than its bound (a multi-year reload)', async () => {
    const index = new CommittedIdIndex(loader, 4);
    const days = Array.from({ length: 10 }, (_, i) => slice(16_000 + i));
    await index.prepare(days);
    for (const d of days) expect(index.has(d, `ASX-7078-${d.day}-1`)).toBe(true);
  });

  it('evicts the least recently used slices of earlier batches down to its bound', async () => {
    const index = new CommittedIdIndex(loader, 4);
    await index.prepare([1, 2, 3, 4].map(slice));
    await index.prepare([2].map(slice)); // 2 is now the most recent
    await index.prepare([5, 6].map(slice));
    expect([1, 2, 3, 4, 5, 6].map((d) => index.idsOf(slice(d)) !== undefined)).toEqual([false, true, false, true, true, true]);
  });
});
