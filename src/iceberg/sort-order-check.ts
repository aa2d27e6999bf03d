/**
 * Tracks, per partition group, whether rows arrive already ordered by the tables'
 * sort order (symbol asc, timestamp asc), so that a data file can be written in
 * arrival order without a sort. Rows with equal keys may come in any order.
 *
 * Symbols are compared as DuckDB orders VARCHAR (by UTF-8 bytes, i.e. by code
 * point). JS `<` compares UTF-16 code units, which agrees with code-point order
 * unless a surrogate pair meets a character in U+E000..U+FFFF, so a symbol change
 * involving a character at or above U+D800 is treated as unsorted (a sort is then
 * merely done when it was not needed).
 */
export class SortOrderCheck {
  private readonly lastSymbol: (string | undefined)[] = [];
  /** the last timestamp per group as signed high and unsigned low 32-bit words */
  private readonly lastHi: number[] = [];
  private readonly lastLo: number[] = [];
  private readonly unsorted: boolean[] = [];

  observe(group: number, symbol: string, timestamp: bigint): void {
    this.observeWords(group, symbol, Number(BigInt.asIntN(64, timestamp) >> 32n), Number(BigInt.asUintN(32, timestamp)));
  }

  /** A timestamp given as its signed high 32 bits and unsigned (or int32) low 32 bits. */
  observeWords(group: number, symbol: string, hi: number, lo: number): void {
    if (this.unsorted[group] === true) return;
    const prev = this.lastSymbol[group];
    lo = lo >>> 0;
    if (prev === undefined) {
      this.lastSymbol[group] = symbol;
      this.lastHi[group] = hi;
      this.lastLo[group] = lo;
      this.unsorted[group] = false;
      return;
    }
    if (prev === symbol) {
      const lastHi = this.lastHi[group]!;
      if (hi < lastHi || (hi === lastHi && lo < this.lastLo[group]!)) this.unsorted[group] = true;
      else {
        this.lastHi[group] = hi;
        this.lastLo[group] = lo;
      }
      return;
    }
    if (symbol > prev && isBelowSurrogates(symbol) && isBelowSurrogates(prev)) {
      this.lastSymbol[group] = symbol;
      this.lastHi[group] = hi;
      this.lastLo[group] = lo;
      return;
    }
    this.unsorted[group] = true;
  }

  /** True when every row of the group came in sort order (and at least one came). */
  isSorted(group: number): boolean {
    return this.unsorted[group] === false;
  }
}

function isBelowSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return false;
  return true;
}
