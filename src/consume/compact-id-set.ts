/**
 * A set of record ids that stays small when the ids are numbered: an id that is a
 * prefix followed by a decimal number (Binance "3811002345", ASX
 * "ASX-7078-20140102-17") is kept as that number in a list of disjoint
 * [first, last] runs per prefix, so a day of consecutive trade ids costs a few
 * numbers instead of one string per trade. Any other id (leading zeros, more than
 * 15 digits, no digits) is kept as a string.
 *
 *   const ids = CompactIdSet.from(['ASX-1-2', 'ASX-1-3']);
 *   ids.has('ASX-1-2'); ids.add('ASX-1-4'); ids.size
 */

/** prefix, then 1..15 digits without a leading zero (or a lone "0"): exact as a double */
const NUMBERED = /^(.*?)(0|[1-9]\d{0,14})$/;

/** Disjoint, sorted, non-adjacent runs [lo0, hi0, lo1, hi1, ...]. */
class Runs {
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

/** The number after `prefix` in `id`, when the rest is 1..15 digits without a leading zero; else -1. */
function numberAfter(id: string, prefix: string): number {
  const start = prefix.length;
  const len = id.length - start;
  if (len < 1 || len > 15 || !id.startsWith(prefix)) return -1;
  let n = 0;
  for (let i = start; i < id.length; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return len > 1 && id.charCodeAt(start) === 48 ? -1 : n;
}

export class CompactIdSet {
  private readonly numbered = new Map<string, Runs>();
  private readonly others = new Set<string>();
  private count = 0;
  /** the prefix seen last, and its runs: consecutive ids nearly always share it (no regex then) */
  private lastPrefix: string | null = null;
  private lastRuns: Runs | null = null;

  /**
   * The runs and number of a numbered id (creating the prefix's runs when `create`), or null for
   * an id kept as a string. The digits after a known prefix must be the longest digit suffix, or
   * the id would split differently than the regex splits it: so the char before them must not be a digit.
   */
  private locate(id: string, create: boolean): { runs: Runs | null; n: number } | null {
    const prefix = this.lastPrefix;
    if (prefix !== null) {
      const last = prefix.charCodeAt(prefix.length - 1);
      const n = last >= 48 && last <= 57 ? -1 : numberAfter(id, prefix);
      if (n >= 0) return { runs: this.lastRuns, n };
    }
    const m = NUMBERED.exec(id);
    if (m === null) return null;
    let runs = this.numbered.get(m[1]!) ?? null;
    if (runs === null && create) this.numbered.set(m[1]!, (runs = new Runs()));
    if (runs !== null) {
      this.lastPrefix = m[1]!;
      this.lastRuns = runs;
    }
    return { runs, n: Number(m[2]) };
  }

  static from(ids: Iterable<string>): CompactIdSet {
    const s = new CompactIdSet();
    for (const id of ids) s.add(id);
    return s;
  }

  has(id: string): boolean {
    const at = this.locate(id, false);
    if (at === null) return this.others.has(id);
    return at.runs?.has(at.n) ?? false;
  }

  add(id: string): this {
    this.tryAdd(id);
    return this;
  }

  /** Adds an id; returns false if it was already in the set. */
  tryAdd(id: string): boolean {
    const at = this.locate(id, true);
    if (at === null) {
      if (this.others.has(id)) return false;
      this.others.add(id);
      this.count++;
      return true;
    }
    if (!at.runs!.add(at.n)) return false;
    this.count++;
    return true;
  }

  /** The runs of a prefix (see splitNumberedId), created when `create`. */
  private runsOf(prefix: string, create: boolean): Runs | null {
    if (prefix === this.lastPrefix) return this.lastRuns;
    let runs = this.numbered.get(prefix) ?? null;
    if (runs === null && create) this.numbered.set(prefix, (runs = new Runs()));
    if (runs !== null) {
      this.lastPrefix = prefix;
      this.lastRuns = runs;
    }
    return runs;
  }

  /** has() of the id `prefix + n`, split as splitNumberedId splits it. */
  hasNumbered(prefix: string, n: number): boolean {
    return this.runsOf(prefix, false)?.has(n) ?? false;
  }

  /** tryAdd() of the id `prefix + n`, split as splitNumberedId splits it. */
  addNumbered(prefix: string, n: number): boolean {
    if (!this.runsOf(prefix, true)!.add(n)) return false;
    this.count++;
    return true;
  }

  /** Number of distinct ids. */
  get size(): number {
    return this.count;
  }

  /** Stored runs plus string ids: what the memory is proportional to. */
  get footprint(): number {
    let n = this.others.size;
    for (const r of this.numbered.values()) n += r.runs;
    return n;
  }
}

/** Where the number of a numbered id starts, after splitNumberedId; the number itself. */
export const numberedId = { prefixEnd: 0, n: 0 };

/**
 * Splits the UTF-8 id in bytes[s, e) exactly as CompactIdSet splits the same id as
 * a string (prefix, then the longest suffix of 1..15 digits without a leading zero),
 * setting numberedId. Returns false when the id is not numbered, or its prefix holds a
 * byte outside printable ASCII (such ids take the string path, which decides alike).
 */
export function splitNumberedId(bytes: Uint8Array, s: number, e: number): boolean {
  let d = e;
  while (d > s && bytes[d - 1]! >= 48 && bytes[d - 1]! <= 57) d--;
  if (d === e) return false;
  // the digit run is bytes[d, e): take its longest suffix of <= 15 digits that has no leading zero
  let start = Math.max(d, e - 15);
  while (start < e - 1 && bytes[start] === 48) start++;
  for (let i = s; i < start; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) return false;
  }
  let n = 0;
  for (let i = start; i < e; i++) n = n * 10 + (bytes[i]! - 48);
  numberedId.prefixEnd = start;
  numberedId.n = n;
  return true;
}
