/**
 * A set of integers (exact doubles) kept as disjoint, sorted, non-adjacent runs
 * [lo0, hi0, lo1, hi1, ...]: consecutive numbers cost one run, and numbers that mostly
 * arrive in ascending order are appended at the end.
 *
 *   const r = new NumberRuns(); r.add(3); r.add(4); r.has(4); r.runs // 1
 */
export class NumberRuns {
  private v: number[] = [];

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
    return i >= 0 && n <= v[i * 2 + 1]!;
  }

  /** Adds n; returns false if it was present. */
  add(n: number): boolean {
    const v = this.v;
    const last = v.length - 2;
    // ids mostly arrive in order: extend the last run
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
    const joinsLeft = i >= 0 && v[i * 2 + 1]! + 1 === n;
    const joinsRight = v[(i + 1) * 2]! - 1 === n; // there is a run after i (n is below the last run's lo)
    if (joinsLeft && joinsRight) {
      v[i * 2 + 1] = v[(i + 1) * 2 + 1]!;
      v.splice((i + 1) * 2, 2);
    } else if (joinsLeft) v[i * 2 + 1] = n;
    else if (joinsRight) v[(i + 1) * 2] = n;
    else v.splice((i + 1) * 2, 0, n, n);
    return true;
  }

  get runs(): number {
    return this.v.length / 2;
  }
}
