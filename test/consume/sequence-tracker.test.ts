import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../../src/consume/sequence-tracker.js';

describe('SequenceTracker', () => {
  it('classifies in order, gaps, out of order and duplicates per stream', () => {
    const t = new SequenceTracker();
    expect(t.observe('B|X', 10n)).toEqual({ kind: 'in_order' });
    expect(t.observe('B|X', 11n)).toEqual({ kind: 'in_order' });
    expect(t.observe('B|X', 15n)).toEqual({ kind: 'gap', from: 12n, to: 14n, missing: 3n });
    expect(t.observe('B|X', 15n)).toEqual({ kind: 'duplicate', sequence: 15n });
    expect(t.observe('B|X', 13n)).toEqual({ kind: 'out_of_order', sequence: 13n, last: 15n });
    expect(t.observe('B|Y', 1n)).toEqual({ kind: 'in_order' }); // another stream
  });

  it('after reset (a rebalance: records seen but not committed are read again) takes the next sequence as it comes', () => {
    const t = new SequenceTracker();
    for (let s = 1n; s <= 100n; s++) t.observe('B|X', s);
    t.reset();
    // the consumer resumes from the table's offsets: 61..100 again, then on
    for (let s = 61n; s <= 120n; s++) expect(t.observe('B|X', s)).toEqual({ kind: 'in_order' });
    expect(t.lastSequence('B|X')).toBe(120n);
  });
});
