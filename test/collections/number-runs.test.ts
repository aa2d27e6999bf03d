/**
 * NumberRuns against a plain Set under the orders ids really arrive in: ascending, several
 * ascending sequences interleaved (a file of several days, each sorted), shuffled, and
 * descending; plus its footprint (runs) for consecutive numbers.
 */
import { describe, expect, it } from 'vitest';
import { NumberRuns } from '../../src/collections/number-runs.js';
import { prng } from '../support/prng.js';

function check(order: number[], probes: number[]): NumberRuns {
  const runs = new NumberRuns();
  const set = new Set<number>();
  for (const n of order) {
    expect(runs.add(n), `add ${n}`).toBe(!set.has(n));
    set.add(n);
  }
  for (const n of probes) expect(runs.has(n), `has ${n}`).toBe(set.has(n));
  return runs;
}

describe('NumberRuns', () => {
  const rand = prng(21);
  const sparse = Array.from({ length: 20_000 }, (_, i) => i * 3 + Math.floor(rand() * 2)); // gaps, some neighbours
  const probes = Array.from({ length: 70_000 }, (_, i) => i - 5);

  it('agrees with a Set for ascending, interleaved, shuffled and descending arrivals, repeats included', () => {
    check([...sparse, ...sparse.slice(0, 100)], probes);
    const interleaved = [0, 1, 2, 3, 4].flatMap((k) => sparse.filter((_, i) => i % 5 === k)); // five sorted passes
    check(interleaved, probes);
    check([...sparse].sort(() => rand() - 0.5), probes);
    check([...sparse].reverse(), probes);
    // nearly sorted: ascending, with small groups shuffled (ids of one instant in another order),
    // some swapped a few dozen places back (past the runs inserted in place near the end)
    const nearly = [...sparse];
    for (let i = 0; i + 8 <= nearly.length; i += 8) nearly.splice(i, 8, ...nearly.slice(i, i + 8).sort(() => rand() - 0.5));
    for (let i = 100; i < nearly.length; i += 97) [nearly[i], nearly[i - 40]] = [nearly[i - 40]!, nearly[i]!];
    check(nearly, probes);
  });

  it('keeps consecutive numbers as one run, however they arrive', () => {
    const consecutive = Array.from({ length: 10_000 }, (_, i) => 1_000_000_000_000 + i);
    expect(check(consecutive, consecutive).runs).toBe(1);
    const shuffled = check([...consecutive].sort(() => rand() - 0.5), consecutive);
    expect(shuffled.runs).toBe(1);
    shuffled.add(0); // below everything
    expect(shuffled.has(0) && shuffled.has(1_000_000_000_000 + 9_999)).toBe(true);
    expect(shuffled.runs).toBe(2);
  });
});
