/**
 * Splits one CSV row into fields. The raw ASX files are simple (no quoting), so a
 * row without a double quote is split on commas directly; a row with one goes
 * through csv-parse, so quoted fields are read correctly. See docs/decisions.md.
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
    if (text.indexOf(',') < 0 && text.trim() === '') return null;
    return text.split(',');
  }
  try {
    const rows = parse(text, { relax_quotes: false }) as string[][];
    return rows[0] ?? null;
  } catch (err) {
    throw new AsxRowError(`malformed CSV: ${(err as Error).message}`);
  }
}
