/**
 * JSON with exact 64-bit integers. Iceberg snapshot ids are random 63-bit longs, so a
 * plain JSON.parse would round them (checklist item 11 of the writer reference).
 *
 * parse: every integer literal outside the safe range becomes a bigint.
 * stringify: every bigint is written as a bare JSON integer.
 */
const MARK = '\u0000k2-bigint:';
const TOKEN_RE = /"(?:[^"\\]|\\.)*"|-?\d{16,}(?![.eE\d])/g;

export function parseLosslessJson(text: string): unknown {
  const marked = text.replace(TOKEN_RE, (tok) => {
    if (tok.startsWith('"')) return tok;
    const n = BigInt(tok);
    return n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER) ? JSON.stringify(MARK + tok) : tok;
  });
  return JSON.parse(marked, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v));
}

export function stringifyLosslessJson(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? MARK + v.toString() : v), indent);
  // JSON.stringify escapes U+0000 as \u0000 inside strings.
  return json.replace(/"\\u0000k2-bigint:(-?\d+)"/g, '$1');
}

/** A JSON number field that may have been parsed as number or bigint, as a bigint. */
export function toBigInt(v: unknown, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`${field}: expected an integer, got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}`);
}
