/**
 * A set of integers (exact doubles) kept as disjoint, sorted runs [lo0, hi0, lo1, hi1, ...]:
 * consecutive numbers cost one run, and numbers that mostly arrive in ascending order are
 * appended at the end.
 *
 * Numbers that arrive out of order (a file sorted by time within a day but holding several
 * days, ids of several files) and start a run of their own are not spliced into the middle of
 * the array (O(runs) each, quadratic over a day) but kept in a small unsorted set, merged into
 * the runs in one pass once it holds more than a quarter of them: O(log runs) amortized. One
 * that belongs among the last NEAR_END runs (ids of one instant, in another order) is inserted
 * there at once, which costs at most that many moves.
 *
 *   const r = new NumberRuns(); r.add(3); r.add(4); r.has(4); r.runs // 1
 */
/** A number that starts its own run within this many runs of the end is inserted there, not kept pending. */
const NEAR_END = 16;

export class NumberRuns {
  private v: number[] = [];
  /** Numbers not in `v`, each below the last run's lo, waiting for the next merge. */
  private pending = new Set<number>();
  /** Runs widened in place until they touch a neighbour, joined at the next merge. */
  private touching = 0;

  /** Index of the last run whose lo <= n, or -1. */
  private find(n: number): number {
    let lo = 0;
    let hi = this.v.length / 2 - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.v[mid * 2]! <= n) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return at;
  }

  has(n: number): boolean {
    const v = this.v;
    const last = v.length - 2;
    if (last >= 0 && n >= v[last]!) return n <= v[last + 1]!;
    const i = this.find(n);
    return (i >= 0 && n <= v[i * 2 + 1]!) || (this.pending.size > 0 && this.pending.has(n));
  }

  /** Adds n; returns false if it was present. */
  add(n: number): boolean {
    const v = this.v;
    const last = v.length - 2;
    // ids mostly arrive in order: extend the last run (pending numbers are all below its lo)
    if (last >= 0 && n >= v[last]!) {
      if (n <= v[last + 1]!) return false;
      if (n === v[last + 1]! + 1) {
        v[last + 1] = n;
        return true;
      }
      v.push(n, n);
      return true;
    }
    if (last < 0) {
      v.push(n, n);
      return true;
    }
    const i = this.find(n);
    if (i >= 0 && n <= v[i * 2 + 1]!) return false;
    if (this.pending.has(n)) return false;
    // next to a run: widen it in place (it may then touch its neighbour; the next merge joins them)
    const next = (i + 1) * 2; // there is a run after i: n is below the last run's lo
    if (i >= 0 && v[i * 2 + 1]! + 1 === n) {
      v[i * 2 + 1] = n;
      if (v[next]! === n + 1) this.touching++;
    } else if (v[next]! - 1 === n) {
      v[next] = n;
    } else if (v.length - next <= NEAR_END * 2) {
      // just below the last few runs (ids of one instant in another order): insert in place
      v.push(0, 0);
      for (let j = v.length - 1; j >= next + 2; j--) v[j] = v[j - 2]!;
      v[next] = n;
      v[next + 1] = n;
      return true;
    } else this.pending.add(n);
    const unmerged = this.pending.size + this.touching;
    if (unmerged > 64 && unmerged * 4 > v.length / 2) this.merge();
    return true;
  }

  /** The number of runs once merged (merging first): what the memory is proportional to. */
  get runs(): number {
    if (this.pending.size + this.touching > 0) this.merge();
    return this.v.length / 2;
  }

  /** Merges the pending numbers into the runs, joining runs that touch: one pass. */
  private merge(): void {
    const extra = Float64Array.from(this.pending).sort();
    this.pending = new Set();
    this.touching = 0;
    const v = this.v;
    // pushed, not preallocated: V8 makes `new Array(n)` for large n a dictionary (slow) array
    const out: number[] = [];
    let o = 0;
    let a = 0;
    let b = 0;
    while (a < v.length || b < extra.length) {
      let lo: number;
      let hi: number;
      if (b >= extra.length || (a < v.length && v[a]! <= extra[b]!)) {
        lo = v[a]!;
        hi = v[a + 1]!;
        a += 2;
      } else {
        lo = extra[b]!;
        hi = lo;
        b++;
      }
      if (o > 0 && lo <= out[o - 1]! + 1) {
        if (hi > out[o - 1]!) out[o - 1] = hi;
      } else {
        out.push(lo, hi);
        o += 2;
      }
    }
    this.v = out;
  }
}
