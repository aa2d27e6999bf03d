/**
 * Reads one ASX CSV file as batches of converted v2 records and rejected rows,
 * each rejected row with its file, 1-based line number and reason.
 */
import { K2Error } from '../../model/errors.js';
import type { QuoteV2 } from '../../model/quote.js';
import { nowMicros } from '../../model/time.js';
import type { Micros, TradeV2 } from '../../model/trade.js';
import { AsxRowError } from './asx-row-error.js';
import { headerColumns, type AsxFileFormat } from './file-format.js';
import { HeaderQuoteConverter, HeaderTradeConverter } from './header-row-converters.js';
import { readLineBatches } from './line-reader.js';
import { RawQuoteConverter, RawTradeConverter, type RawFileIdentity } from './raw-row-converters.js';
import { splitRow } from './row-fields.js';
import type { SideClassifier } from './side-classifier.js';
import type { SydneyClock } from './sydney-time.js';

/** One input file, classified, with its company identity for raw files. */
export interface AsxInputFile {
  path: string;
  format: AsxFileFormat;
  /** Company id and symbol of a raw file (from the file name); null for header CSVs. */
  identity: RawFileIdentity | null;
  /** Size in bytes, for progress. */
  bytes: number;
}

export interface RejectedRow {
  file: string;
  line: number;
  reason: string;
  field: string | null;
  raw: string;
}

export interface AsxBatch {
  file: string;
  trades: TradeV2[];
  quotes: QuoteV2[];
  rejected: RejectedRow[];
  /** Data rows in this batch (blank lines and the header row are not rows). */
  rowsRead: number;
  /** Bytes of the file read so far. */
  bytesRead: number;
}

export interface AsxConvertContext {
  clock: SydneyClock;
  /** Decides trade sides; trades are classified in file order. */
  sides: SideClassifier;
  /** Company id of a symbol, for vendor_data of header CSV rows. */
  companyIdOfSymbol: (symbol: string) => string | null;
  /** The ingestion time stamped on records (default: now, once per batch). */
  now?: () => Micros;
  chunkBytes?: number;
}

type RowConverter = (fields: string[], ingestion: Micros, batch: AsxBatch) => void;

export async function* readAsxFile(input: AsxInputFile, ctx: AsxConvertContext): AsyncGenerator<AsxBatch> {
  const now = ctx.now ?? nowMicros;
  let convert: RowConverter | null = null;
  const isHeader = input.format === 'header_trades' || input.format === 'header_quotes';
  if (!isHeader) convert = rawConverter(input, ctx);

  for await (const chunk of readLineBatches(input.path, ctx.chunkBytes)) {
    const batch: AsxBatch = { file: input.path, trades: [], quotes: [], rejected: [], rowsRead: 0, bytesRead: chunk.bytesRead };
    const ingestion = now();
    const lines = chunk.lines;
    for (let i = 0; i < lines.length; i++) {
      const lineNo = chunk.firstLine + i;
      let text = lines[i]!;
      if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      let fields: string[] | null;
      try {
        fields = splitRow(text);
      } catch (err) {
        batch.rowsRead++;
        batch.rejected.push(reject(input.path, lineNo, text, err));
        continue;
      }
      if (fields === null) continue;
      if (convert === null) {
        // the first non-empty line of a header CSV is its header
        convert = headerConverter(input, headerColumns(text), ctx);
        continue;
      }
      batch.rowsRead++;
      try {
        convert(fields, ingestion, batch);
      } catch (err) {
        if (!(err instanceof K2Error)) throw err;
        batch.rejected.push(reject(input.path, lineNo, text, err));
      }
    }
    yield batch;
  }
}

function rawConverter(input: AsxInputFile, ctx: AsxConvertContext): RowConverter {
  if (input.identity === null) throw new Error(`raw ASX file without a company identity: ${input.path}`);
  if (input.format === 'raw_trades') {
    const c = new RawTradeConverter(input.identity, ctx.clock, ctx.sides);
    return (f, ing, b) => {
      b.trades.push(c.convert(f, ing));
    };
  }
  const c = new RawQuoteConverter(input.identity, ctx.clock);
  return (f, ing, b) => {
    b.quotes.push(c.convert(f, ing));
  };
}

function headerConverter(input: AsxInputFile, columns: string[], ctx: AsxConvertContext): RowConverter {
  if (input.format === 'header_trades') {
    const c = new HeaderTradeConverter(columns, ctx.clock, ctx.companyIdOfSymbol, ctx.sides);
    return (f, ing, b) => {
      b.trades.push(c.convert(f, ing));
    };
  }
  const c = new HeaderQuoteConverter(columns, ctx.clock, ctx.companyIdOfSymbol);
  return (f, ing, b) => {
    b.quotes.push(c.convert(f, ing));
  };
}

function reject(file: string, line: number, raw: string, err: unknown): RejectedRow {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (err instanceof AsxRowError) return { file, line, reason: err.message, field: err.field ?? null, raw: text };
  if (err instanceof K2Error) return { file, line, reason: err.message, field: typeof err.context.field === 'string' ? err.context.field : null, raw: text };
  return { file, line, reason: (err as Error).message, field: null, raw: text };
}
