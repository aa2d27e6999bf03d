/**
 * An ASX load: classify the input files, resolve each raw file's symbol, convert
 * quotes first (they feed Lee-Ready), then trades, handing records to a sink in large
 * batches, rejected rows to the dead-letter file, and totals to the summary.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import type { QuoteV2 } from '../../model/quote.js';
import type { RecordOfKind } from '../../model/record-kind.js';
import type { TradeV2 } from '../../model/trade.js';
import { readAsxFile, type AsxInputFile } from './asx-file-reader.js';
import { AsxFileError } from './asx-row-error.js';
import { companyIdOfFile, findCompanyReference, loadCompanyReference, type CompanyReference } from './company-reference.js';
import { DeadLetterFile } from './dead-letter.js';
import { detectAsxFormat, isTradeFormat, readFirstLine } from './file-format.js';
import { LoadSummary } from './load-summary.js';
import { QuoteMidIndexBuilder } from './quote-mid-index.js';
import { SideClassifier } from './side-classifier.js';
import { SydneyClock } from './sydney-time.js';

/** Where converted records go (e.g. the bus producer); absent in a dry run. */
export interface AsxRecordSink {
  /** Resolves when the records are durably accepted (e.g. acknowledged by Kafka). */
  send<K extends 'trades' | 'quotes'>(kind: K, records: RecordOfKind[K][]): Promise<void>;
  /**
   * Optional: encodes records now, synchronously, into the sink's own form (the bus: wire
   * messages). The loader then seals each converted chunk at once, so the record objects die
   * young instead of waiting (and being promoted) while a batch fills and the previous one is
   * in flight; `sendSealed` sends a batch's sealed chunks together, in order.
   */
  seal?<K extends 'trades' | 'quotes'>(kind: K, records: RecordOfKind[K][]): unknown;
  sendSealed?(kind: 'trades' | 'quotes', chunks: unknown[]): Promise<void>;
}

/**
 * Which quotes Lee-Ready may use:
 *  - auto:   the quote files being loaded, plus, for a raw `.../trades/{id}.csv`, the
 *            sibling `.../quotes/{id}.csv` when it exists (read for sides only, not loaded);
 *  - inputs: only the quote files being loaded;
 *  - none:   no quotes, the tick test alone.
 */
export type SideQuotesMode = 'auto' | 'inputs' | 'none';

export interface AsxLoadPlanOptions {
  /** company_info.csv to map company ids to symbols. */
  reference?: string;
  /** Symbol for the raw files (all of them must then be one company). */
  symbol?: string;
  sideQuotes?: SideQuotesMode;
}

export interface AsxLoadPlan {
  inputs: AsxInputFile[];
  /** Quote files read only to infer trade sides. */
  sideQuoteFiles: AsxInputFile[];
  totalBytes: number;
  reference: CompanyReference | null;
  referencePath: string | null;
}

/** Classifies the files and resolves symbols; throws AsxFileError before anything is read. */
export function planAsxLoad(files: readonly string[], opts: AsxLoadPlanOptions = {}): AsxLoadPlan {
  if (files.length === 0) throw new AsxFileError('no input files');
  const referencePath = opts.reference !== undefined ? resolve(opts.reference) : null;
  if (referencePath !== null && !existsSync(referencePath)) {
    throw new AsxFileError(`reference file not found: ${referencePath}`, { file: referencePath });
  }
  const refCache = new Map<string, CompanyReference>();
  const reference = (path: string): CompanyReference => {
    let r = refCache.get(path);
    if (r === undefined) {
      r = loadCompanyReference(path);
      refCache.set(path, r);
    }
    return r;
  };
  const explicitRef = referencePath === null ? null : reference(referencePath);

  const rawCompanies = new Set<string>();
  const classify = (path: string): AsxInputFile => {
    const abs = resolve(path);
    if (!existsSync(abs)) throw new AsxFileError(`no such file: ${path}`, { file: path });
    const st = statSync(abs);
    if (!st.isFile()) throw new AsxFileError(`not a file: ${path}`, { file: path });
    const format = detectAsxFormat(abs, readFirstLine(abs));
    if (format === 'header_trades' || format === 'header_quotes') return { path: abs, format, identity: null, bytes: st.size };
    const companyId = companyIdOfFile(abs);
    rawCompanies.add(companyId);
    let symbol: string | undefined = opts.symbol?.trim().toUpperCase();
    if (symbol === undefined || symbol === '') {
      const refPath = referencePath ?? findCompanyReference(abs);
      if (refPath === null) {
        throw new AsxFileError(
          `cannot map company id ${companyId} to a symbol: no reference-data/company_info.csv beside the file; give --reference <file> or --symbol <SYM>`,
          { file: path },
        );
      }
      const info = (explicitRef ?? reference(refPath)).get(companyId);
      if (info === undefined) {
        throw new AsxFileError(`company id ${companyId} is not in ${refPath}; give --symbol <SYM>`, { file: path });
      }
      symbol = info.symbol;
    } else if (!/^[A-Z0-9.]{1,12}$/.test(symbol)) {
      throw new AsxFileError(`bad --symbol ${JSON.stringify(opts.symbol)}: expected a ticker such as BHP`);
    }
    return { path: abs, format, identity: { companyId, symbol }, bytes: st.size };
  };

  const inputs = [...new Set(files.map((f) => resolve(f)))].map(classify);
  if (opts.symbol !== undefined && rawCompanies.size > 1) {
    throw new AsxFileError(`--symbol applies to one company, but the raw files are for ${[...rawCompanies].join(', ')}`);
  }

  const sideQuoteFiles: AsxInputFile[] = [];
  if ((opts.sideQuotes ?? 'auto') === 'auto') {
    const loaded = new Set(inputs.map((i) => i.path));
    for (const input of inputs) {
      if (input.format !== 'raw_trades' || basename(dirname(input.path)) !== 'trades') continue;
      const sibling = join(dirname(dirname(input.path)), 'quotes', basename(input.path));
      if (loaded.has(sibling) || !existsSync(sibling)) continue;
      loaded.add(sibling);
      sideQuoteFiles.push({ path: sibling, format: 'raw_quotes', identity: input.identity, bytes: statSync(sibling).size });
    }
  }
  const totalBytes = [...inputs, ...sideQuoteFiles].reduce((s, f) => s + f.bytes, 0);
  const firstRef = referencePath ?? inputs.map((i) => (i.identity === null ? null : findCompanyReference(i.path))).find((p) => p !== null) ?? null;
  return { inputs, sideQuoteFiles, totalBytes, reference: firstRef === null ? null : reference(firstRef), referencePath: firstRef };
}

export interface AsxLoadRunOptions {
  /** Where records go; null or absent for a dry run. */
  sink?: AsxRecordSink | null;
  /** Records per sink call. */
  batchSize?: number;
  deadLetter: DeadLetterFile;
  sideQuotes?: SideQuotesMode;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  logger?: Logger;
  clock?: SydneyClock;
}

export interface AsxLoadResult {
  summary: LoadSummary;
  deadLetterPath: string | null;
  /** Trades by side_method, e.g. { lee_ready: 90000, tick_test: 12 }. */
  sideMethods: Record<string, number>;
}

export async function runAsxLoad(plan: AsxLoadPlan, opts: AsxLoadRunOptions): Promise<AsxLoadResult> {
  try {
    return await runLoad(plan, opts);
  } finally {
    // rejected rows are written even when publishing fails part-way
    opts.deadLetter.flush();
  }
}

async function runLoad(plan: AsxLoadPlan, opts: AsxLoadRunOptions): Promise<AsxLoadResult> {
  const log = opts.logger ?? silentLogger;
  const clock = opts.clock ?? new SydneyClock();
  const batchSize = opts.batchSize ?? 20_000;
  const publisher = opts.sink === undefined || opts.sink === null ? null : new OverlappedSink(opts.sink, batchSize);
  const summary = new LoadSummary();
  summary.files = plan.inputs.length;
  const sideMethods: Record<string, number> = {};
  const useQuotes = (opts.sideQuotes ?? 'auto') !== 'none';
  const symbolToCompany = new Map<string, string>();
  for (const info of plan.reference?.values() ?? []) symbolToCompany.set(info.symbol, info.companyId);
  for (const i of plan.inputs) if (i.identity !== null) symbolToCompany.set(i.identity.symbol, i.identity.companyId);
  const companyIdOfSymbol = (s: string): string | null => symbolToCompany.get(s) ?? null;

  let bytesBefore = 0;
  const progress = (fileBytes: number): void => opts.onProgress?.(bytesBefore + fileBytes, plan.totalBytes);

  // 1. Quotes: loaded ones are converted, counted and sent; all feed the mid index.
  const mids = new QuoteMidIndexBuilder();
  // Index only the quotes of symbols whose trades are loaded (all, if a header trades file may hold any symbol).
  const tradeInputs = plan.inputs.filter((i) => isTradeFormat(i.format));
  const anySymbol = tradeInputs.some((i) => i.identity === null);
  const tradeSymbols = new Set(tradeInputs.map((i) => i.identity?.symbol ?? ''));
  const wanted = (symbol: string): boolean => anySymbol || tradeSymbols.has(symbol);
  const noSides = new SideClassifier(null);
  const quoteFiles = plan.inputs.filter((i) => !isTradeFormat(i.format));
  const sideOnly = useQuotes ? plan.sideQuoteFiles : [];
  for (const file of [...quoteFiles, ...sideOnly]) {
    const loading = quoteFiles.includes(file);
    if (!loading) log.info('reading quotes for side inference only', { file: file.path });
    for await (const batch of readAsxFile(file, { clock, sides: noSides, companyIdOfSymbol })) {
      if (useQuotes) {
        for (const q of batch.quotes) if (wanted(q.symbol)) mids.add(q.symbol, Number(q.timestamp), q.bid_price, q.ask_price);
      }
      if (loading) {
        summary.rowsRead += batch.rowsRead;
        summary.rowsRejected += batch.rejected.length;
        opts.deadLetter.write(batch.rejected);
        summary.addQuotes(batch.quotes);
        if (publisher !== null) await publisher.add('quotes', batch.quotes);
      }
      progress(batch.bytesRead);
    }
    await publisher?.drain();
    bytesBefore += file.bytes;
  }

  // 2. Trades, with sides from the quotes above.
  const sides = new SideClassifier(useQuotes ? mids.build() : null);
  for (const file of plan.inputs.filter((i) => isTradeFormat(i.format))) {
    for await (const batch of readAsxFile(file, { clock, sides, companyIdOfSymbol })) {
      summary.rowsRead += batch.rowsRead;
      summary.rowsRejected += batch.rejected.length;
      opts.deadLetter.write(batch.rejected);
      summary.addTrades(batch.trades);
      for (const t of batch.trades) {
        const m = t.vendor_data?.side_method ?? 'unknown';
        sideMethods[m] = (sideMethods[m] ?? 0) + 1;
      }
      if (publisher !== null) await publisher.add('trades', batch.trades);
      progress(batch.bytesRead);
    }
    await publisher?.drain();
    bytesBefore += file.bytes;
  }
  const deadLetterPath = opts.deadLetter.flush();
  return { summary, deadLetterPath, sideMethods };
}

/**
 * Collects one kind's records into batches of `batchSize` for the sink (sealed chunk by chunk
 * when the sink seals) and keeps one sink call in flight while the next batch is converted,
 * so conversion overlaps publishing; a send waits for the previous call first (order is kept,
 * and at most two batches are in memory). An error surfaces at the next send or drain.
 */
class OverlappedSink {
  private inFlight: Promise<void> | null = null;
  private kind: 'trades' | 'quotes' = 'trades';
  private records: TradeV2[] | QuoteV2[] = [];
  private sealed: unknown[] = [];
  private count = 0;

  constructor(private readonly sink: AsxRecordSink, private readonly batchSize: number) {}

  async add<K extends 'trades' | 'quotes'>(kind: K, records: RecordOfKind[K][]): Promise<void> {
    if (records.length === 0) return;
    if (kind !== this.kind) await this.drain();
    this.kind = kind;
    if (this.sink.seal !== undefined && this.sink.sendSealed !== undefined) this.sealed.push(this.sink.seal(kind, records));
    else this.records = (this.records as RecordOfKind[K][]).concat(records) as TradeV2[] | QuoteV2[];
    this.count += records.length;
    if (this.count >= this.batchSize) await this.sendPending();
  }

  private async sendPending(): Promise<void> {
    if (this.count === 0) return;
    const { kind, records, sealed } = this;
    this.records = [];
    this.sealed = [];
    this.count = 0;
    const previous = this.inFlight;
    this.inFlight = null;
    if (previous !== null) await previous;
    const p = sealed.length > 0 ? this.sink.sendSealed!(kind, sealed) : this.sink.send(kind, records as RecordOfKind[typeof kind][]);
    p.catch(() => undefined); // observed by the next send or drain()
    this.inFlight = p;
  }

  /** Sends what is collected and waits for every call. */
  async drain(): Promise<void> {
    await this.sendPending();
    const p = this.inFlight;
    this.inFlight = null;
    if (p !== null) await p;
  }
}
