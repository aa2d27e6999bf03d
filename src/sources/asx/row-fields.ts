/**
 * Splits one CSV row into fields. The raw ASX files are simple (no quoting), so a
 * row without a double quote is split on commas directly; a row with one goes
 * through csv-parse, so quoted fields are read correctly. See docs/decisions.md.
 * The comma split is an indexOf/slice loop: the same fields as String#split(','),
 * at about half its cost per row (measured on the ASX trade rows).
 */
import { parse } from 'csv-parse/sync';
import { AsxRowError } from './asx-row-error.js';

/** The fields of a line (trailing CR removed), or null for a blank line. */
export function splitRow(line: string): string[] | null {
  let text = line;
  const n = text.length;
  if (n > 0 && text.charCodeAt(n - 1) === 13) text = text.slice(0, n - 1);
  if (text.length === 0) return null;
  if (text.indexOf('"') < 0) {
    const first = text.indexOf(',');
    if (first < 0 && text.trim() === '') return null;
    return splitOnCommas(text, first);
  }
  try {
    const rows = parse(text, { relax_quotes: false }) as string[][];
    return rows[0] ?? null;
  } catch (err) {
    throw new AsxRowError(`malformed CSV: ${(err as Error).message}`);
  }
}

/** text.split(','), given the index of the first comma (or -1). */
function splitOnCommas(text: string, first: number): string[] {
  const fields: string[] = [];
  let start = 0;
  let comma = first;
  while (comma >= 0) {
    fields.push(text.slice(start, comma));
    start = comma + 1;
    comma = text.indexOf(',', start);
  }
  fields.push(text.slice(start));
  return fields;
}
