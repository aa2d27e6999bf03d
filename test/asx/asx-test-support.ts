import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAsxFile, type AsxInputFile, type RejectedRow } from '../../src/sources/asx/asx-file-reader.js';
import type { AsxFileFormat } from '../../src/sources/asx/file-format.js';
import { SideClassifier } from '../../src/sources/asx/side-classifier.js';
import { SydneyClock } from '../../src/sources/asx/sydney-time.js';
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TradeV2 } from '../../src/model/trade.js';

export const ASX_FIXTURES = fileURLToPath(new URL('../../fixtures/asx/', import.meta.url));
export const fixture = (...parts: string[]): string => join(ASX_FIXTURES, ...parts);

export interface ReadAll {
  trades: TradeV2[];
  quotes: QuoteV2[];
  rejected: RejectedRow[];
  rowsRead: number;
}

/** Reads one file completely with a fixed ingestion time. */
export async function readAll(
  path: string,
  format: AsxFileFormat,
  identity: { companyId: string; symbol: string } | null,
  sides: SideClassifier = new SideClassifier(null),
): Promise<ReadAll> {
  const input: AsxInputFile = { path, format, identity, bytes: 0 };
  const out: ReadAll = { trades: [], quotes: [], rejected: [], rowsRead: 0 };
  for await (const b of readAsxFile(input, { clock: new SydneyClock(), sides, companyIdOfSymbol: () => null, now: () => 42n, chunkBytes: 4096 })) {
    out.trades.push(...b.trades);
    out.quotes.push(...b.quotes);
    out.rejected.push(...b.rejected);
    out.rowsRead += b.rowsRead;
  }
  return out;
}

/** Writes a file (creating folders) and returns its path. */
export function writeText(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
