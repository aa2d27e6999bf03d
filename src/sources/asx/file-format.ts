/**
 * Which kind of ASX CSV a file is:
 *  - raw_trades:    headerless `Date,Time,Price,Volume,Qualifiers,Venue,BuyerID`
 *  - raw_quotes:    headerless `Date,Time,Bid,Ask,BidVolume,AskVolume`
 *  - header_trades: `symbol,exchange_timestamp,price,quantity[,side,sequence_number,trade_id]`
 *  - header_quotes: `symbol,exchange_timestamp,bid_price,ask_price,bid_size,ask_size[,sequence_number]`
 * A headerless file is classified by its folder (`trades/` or `quotes/`) when it has
 * one, else by the column count of its first row (7 trades, 6 quotes).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { AsxFileError } from './asx-row-error.js';

export const ASX_FILE_FORMATS = ['raw_trades', 'raw_quotes', 'header_trades', 'header_quotes'] as const;
export type AsxFileFormat = (typeof ASX_FILE_FORMATS)[number];

export const RAW_TRADE_COLUMNS = ['Date', 'Time', 'Price', 'Volume', 'Qualifiers', 'Venue', 'BuyerID'] as const;
export const RAW_QUOTE_COLUMNS = ['Date', 'Time', 'Bid', 'Ask', 'BidVolume', 'AskVolume'] as const;

export const HEADER_TRADE_REQUIRED = ['symbol', 'exchange_timestamp', 'price', 'quantity'] as const;
export const HEADER_QUOTE_REQUIRED = ['symbol', 'exchange_timestamp', 'bid_price', 'ask_price', 'bid_size', 'ask_size'] as const;

export function isTradeFormat(f: AsxFileFormat): boolean {
  return f === 'raw_trades' || f === 'header_trades';
}

/** Splits a header line into lower-case column names. */
export function headerColumns(line: string): string[] {
  const rows = parse(line, { bom: true, trim: true }) as string[][];
  return (rows[0] ?? []).map((c) => c.toLowerCase());
}

/** Classifies a file from its path and first non-empty line (null for an empty file). */
export function detectAsxFormat(path: string, firstLine: string | null): AsxFileFormat {
  const folder = basename(dirname(path)).toLowerCase();
  if (firstLine === null) {
    if (folder === 'quotes') return 'raw_quotes';
    return 'raw_trades';
  }
  const line = firstLine.replace(/^\uFEFF/, '').replace(/\r$/, '');
  // A header's first cell is a name; a row's is a date, quoted or not ("03/10/2014").
  if (/^\s*("\s*)?[A-Za-z_]/.test(line)) {
    const cols = headerColumns(line);
    const twice = cols.findIndex((c, i) => cols.indexOf(c) !== i);
    if (twice >= 0) {
      // which of the two holds the value is anyone's guess: refuse the file
      throw new AsxFileError(`column ${cols[twice]} appears twice in the header (columns ${cols.indexOf(cols[twice]!) + 1} and ${twice + 1})`, { file: path, line: 1 });
    }
    const has = (names: readonly string[]): boolean => names.every((n) => cols.includes(n));
    if (has(HEADER_TRADE_REQUIRED)) return 'header_trades';
    if (has(HEADER_QUOTE_REQUIRED)) return 'header_quotes';
    if (cols.includes('company_id') && cols.includes('symbol')) {
      throw new AsxFileError('this is company reference data, not trades or quotes: pass it with --reference', { file: path });
    }
    throw new AsxFileError(
      `unrecognised ASX CSV header (${cols.join(',')}): expected ${HEADER_TRADE_REQUIRED.join(',')}... or ${HEADER_QUOTE_REQUIRED.join(',')}...`,
      { file: path },
    );
  }
  if (folder === 'trades') return 'raw_trades';
  if (folder === 'quotes') return 'raw_quotes';
  const n = line.split(',').length;
  if (n === RAW_TRADE_COLUMNS.length) return 'raw_trades';
  if (n === RAW_QUOTE_COLUMNS.length) return 'raw_quotes';
  throw new AsxFileError(
    `cannot tell trades from quotes: first row has ${n} columns (trades have ${RAW_TRADE_COLUMNS.length}, quotes ${RAW_QUOTE_COLUMNS.length}); put the file in a trades/ or quotes/ folder`,
    { file: path, line: 1 },
  );
}

/** The first non-empty line of a file (reads at most 64 KiB), or null. */
export function readFirstLine(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65_536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    for (const l of text.split('\n')) {
      if (l.replace(/\r$/, '').trim() !== '') return l.replace(/\r$/, '');
    }
    return null;
  } finally {
    closeSync(fd);
  }
}
