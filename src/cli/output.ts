/**
 * Result output for people and programs: an aligned table, JSON, or CSV.
 * Values are strings or exact scalars; bigints print exactly.
 */
export type Cell = string | number | bigint | boolean | null | undefined;
export type Row = Record<string, Cell>;

export type OutputFormat = 'table' | 'json' | 'csv';

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

function looksNumeric(s: string): boolean {
  return /^-?\d+(\.\d+)?$/.test(s);
}

export function formatTable(rows: Row[], columns?: string[]): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  if (cols.length === 0) return '(no rows)\n';
  const cells = rows.map((r) => cols.map((c) => cellText(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const numeric = cols.map((_, i) => cells.length > 0 && cells.every((r) => r[i] === '' || looksNumeric(r[i]!)));
  const fmtRow = (r: string[]): string =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [fmtRow(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(fmtRow)];
  if (rows.length === 0) out.push('(no rows)');
  return `${out.join('\n')}\n`;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

function csvEscape(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(rows: Row[], columns?: string[]): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  const lines = [cols.map(csvEscape).join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvEscape(cellText(r[c]))).join(','));
  return `${lines.join('\n')}\n`;
}

export function formatRows(rows: Row[], format: OutputFormat, columns?: string[]): string {
  switch (format) {
    case 'json':
      return `${toJson(rows)}\n`;
    case 'csv':
      return formatCsv(rows, columns);
    default:
      return formatTable(rows, columns);
  }
}
