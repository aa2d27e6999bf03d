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

import { NumberRuns as Runs } from '../collections/number-runs.js';

/** prefix, then 1..15 digits without a leading zero (or a lone "0"): exact as a double */
const NUMBERED = /^(.*?)(0|[1-9]\d{0,14})$/;

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
