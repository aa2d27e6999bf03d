/**
 * ASX company reference data: `reference-data/company_info.csv`
 * (`company_id,symbol,company_name,ISIN,start_date,end_date`), mapping the
 * company id in a raw file's name to its ticker symbol.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { AsxFileError } from './asx-row-error.js';

export const COMPANY_INFO_FILE = 'company_info.csv';

export interface CompanyInfo {
  companyId: string;
  symbol: string;
  companyName: string | null;
  isin: string | null;
}

const rowSchema = z.object({
  company_id: z.string().trim().min(1),
  symbol: z.string().trim().regex(/^[A-Za-z0-9.]{1,12}$/, 'a ticker symbol'),
  company_name: z.string().trim().optional(),
  isin: z.string().trim().optional(),
});

/** Company id -> company info. */
export type CompanyReference = ReadonlyMap<string, CompanyInfo>;

/** Reads a company_info.csv; throws AsxFileError naming the file and line of a bad row. */
export function loadCompanyReference(path: string): CompanyReference {
  let records: Record<string, string>[];
  try {
    records = parse(readFileSync(path, 'utf8'), {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase().replace(/\s+/g, '_')),
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as Record<string, string>[];
  } catch (err) {
    throw new AsxFileError(`cannot read company reference data: ${(err as Error).message}`, { file: path });
  }
  const out = new Map<string, CompanyInfo>();
  records.forEach((raw, i) => {
    const r = rowSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new AsxFileError(`bad company reference row: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), {
        file: path,
        line: i + 2,
      });
    }
    out.set(r.data.company_id, {
      companyId: r.data.company_id,
      symbol: r.data.symbol.toUpperCase(),
      companyName: r.data.company_name || null,
      isin: r.data.isin || null,
    });
  });
  return out;
}

/**
 * Where a data file's reference data is when none is given: `company_info.csv` in
 * the file's directory, in its `reference-data/` subdirectory, or in its parent's
 * `reference-data/` (the layout of the ASX sample: trades/7078.csv beside
 * reference-data/company_info.csv).
 */
export function findCompanyReference(dataFile: string): string | null {
  const dir = dirname(dataFile);
  const candidates = [
    join(dir, COMPANY_INFO_FILE),
    join(dir, 'reference-data', COMPANY_INFO_FILE),
    join(dirname(dir), 'reference-data', COMPANY_INFO_FILE),
  ];
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** The company id of a raw file: its name without extension, e.g. trades/7078.csv -> "7078". */
export function companyIdOfFile(path: string): string {
  return basename(path).replace(/\.[^.]*$/, '');
}
