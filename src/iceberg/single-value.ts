/**
 * Iceberg's single-value binary serialization (spec Appendix D), used for column
 * lower/upper bounds in manifests and partition bounds in manifest lists.
 */
import { bytesToUnscaled, unscaledToBytes } from '../model/decimal.js';
import type { ColumnKind } from './table-definitions.js';

export function encodeInt(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

export function decodeInt(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(0, true);
}

/** long, timestamp and timestamptz: 8-byte little-endian. */
export function encodeLong(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, v, true);
  return b;
}

export function decodeLong(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigInt64(0, true);
}

/** decimal: unscaled two's complement, big-endian, minimum bytes. */
export const encodeDecimal = unscaledToBytes;
export const decodeDecimal = bytesToUnscaled;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

export function encodeString(s: string): Uint8Array {
  return utf8.encode(s);
}

export function decodeString(b: Uint8Array): string {
  return utf8Decoder.decode(b);
}

/** Java's default metrics mode truncate(16): bounds of strings keep 16 code points. */
export const STRING_BOUND_LENGTH = 16;

/** A lower bound: the first `len` code points. */
export function truncateStringLower(s: string, len = STRING_BOUND_LENGTH): string {
  const cps = Array.from(s);
  return cps.length <= len ? s : cps.slice(0, len).join('');
}

/**
 * An upper bound: the first `len` code points with the last one incremented
 * (carrying left past U+10FFFF, skipping surrogates), or null if none can be.
 */
export function truncateStringUpper(s: string, len = STRING_BOUND_LENGTH): string | null {
  const cps = Array.from(s);
  if (cps.length <= len) return s;
  const head = cps.slice(0, len).map((c) => c.codePointAt(0)!);
  for (let i = head.length - 1; i >= 0; i--) {
    let next = head[i]! + 1;
    if (next === 0xd800) next = 0xe000;
    if (next <= 0x10ffff) {
      return String.fromCodePoint(...head.slice(0, i), next);
    }
  }
  return null;
}

/** Code-point order (= UTF-8 byte order), which is what Iceberg and Parquet use. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1; // a surrogate (>= U+10000) sorts after any BMP char
    return x - y;
  }
  return a.length - b.length;
}

/** A decoded bound value. */
export type BoundValue = string | bigint;

export function decodeBound(kind: ColumnKind, b: Uint8Array): BoundValue | undefined {
  switch (kind) {
    case 'string':
      return decodeString(b);
    case 'timestamptz':
    case 'long':
      return b.byteLength === 8 ? decodeLong(b) : undefined;
    case 'decimal':
      return decodeDecimal(b);
    default:
      return undefined;
  }
}
