/**
 * avsc logical types for the v2 schemas:
 *  - `decimal` (bytes, precision 18, scale 8) <-> scaled bigint (units of 1e-8);
 *  - `timestamp-micros` (long) <-> bigint micros, UTC;
 *  - `uuid` (string), validated.
 * None of them ever passes through a JS floating-point number.
 */
import avro from 'avsc';
import { DecimalError } from '../model/errors.js';
import { DECIMAL_PRECISION, DECIMAL_SCALE, MAX_UNSCALED } from '../model/decimal.js';

/** Minimal two's-complement big-endian bytes of an unscaled decimal. */
export function encodeUnscaled(value: bigint): Buffer {
  if (value > -9007199254740992n && value < 9007199254740992n) {
    let v = Number(value);
    const out: number[] = [];
    // little-endian bytes of the two's complement, stopping at pure sign extension
    for (;;) {
      const byte = ((v % 256) + 256) % 256;
      out.push(byte);
      v = Math.floor(v / 256);
      if ((v === 0 && (byte & 0x80) === 0) || (v === -1 && (byte & 0x80) !== 0)) break;
    }
    const buf = Buffer.allocUnsafe(out.length);
    for (let i = 0; i < out.length; i++) buf[i] = out[out.length - 1 - i]!;
    return buf;
  }
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0xffn);
    out.push(byte);
    v >>= 8n;
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return Buffer.from(out.reverse());
}

/** Inverse of encodeUnscaled. */
export function decodeUnscaled(buf: Uint8Array): bigint {
  const n = buf.length;
  if (n === 0) return 0n;
  if (n <= 6) {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + buf[i]!;
    if ((buf[0]! & 0x80) !== 0) v -= 2 ** (8 * n);
    return BigInt(v);
  }
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(buf[i]!);
  if ((buf[0]! & 0x80) !== 0) v -= 1n << BigInt(n * 8);
  return v;
}

interface LogicalTypeSchema {
  precision?: number;
  scale?: number;
}

/** decimal(18,8) over bytes, as a scaled bigint. */
export class ScaledDecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;

  constructor(schema: LogicalTypeSchema, opts?: unknown) {
    super(schema as avro.Schema, opts as avro.ForSchemaOptions);
    this.precision = schema.precision ?? DECIMAL_PRECISION;
    this.scale = schema.scale ?? 0;
    if (this.precision !== DECIMAL_PRECISION || this.scale !== DECIMAL_SCALE) {
      throw new DecimalError(`k2 decimals are decimal(18,8), schema says decimal(${this.precision},${this.scale})`);
    }
  }

  override _fromValue(buf: Buffer): bigint {
    return decodeUnscaled(buf);
  }

  override _toValue(value: unknown): Buffer {
    if (typeof value !== 'bigint') {
      throw new DecimalError(`decimal(18,8) value must be a scaled bigint, got ${typeof value}`);
    }
    if (value > MAX_UNSCALED || value < -MAX_UNSCALED) {
      throw new DecimalError(`does not fit decimal(18,8): unscaled ${value}`);
    }
    return encodeUnscaled(value);
  }

  override _resolve(type: avro.Type): ((v: unknown) => unknown) | undefined {
    if (type instanceof ScaledDecimalType && type.precision === this.precision && type.scale === this.scale) {
      return (v) => v;
    }
    return undefined;
  }

  override _export(attrs: avro.Schema): void {
    const a = attrs as { precision?: number; scale?: number };
    a.precision = this.precision;
    a.scale = this.scale;
  }
}

/**
 * timestamp-micros over long, as a bigint. The underlying Avro long is read as a
 * JS number, which is exact for |micros| < 2^53 (the years 1685 to 2255); values
 * outside that range are refused rather than rounded.
 */
export class TimestampMicrosType extends avro.types.LogicalType {
  override _fromValue(value: number): bigint {
    return BigInt(value);
  }

  override _toValue(value: unknown): number {
    if (typeof value === 'bigint') {
      if (value >= -MAX_SAFE_MICROS && value <= MAX_SAFE_MICROS) return Number(value);
      throw new RangeError(`timestamp-micros out of range: ${value}`);
    }
    throw new TypeError(`timestamp-micros must be a bigint, got ${typeof value}`);
  }

  override _resolve(type: avro.Type): ((v: unknown) => unknown) | undefined {
    const name = (type as { typeName?: string }).typeName;
    if (type instanceof TimestampMicrosType) return (v) => v;
    if (name === 'long' || name === 'int') return (v) => BigInt(v as number);
    if (name === 'abstract:long') return (v) => v;
    return undefined;
  }
}

const MAX_SAFE_MICROS = BigInt(Number.MAX_SAFE_INTEGER);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** uuid over string, validated on write. */
export class UuidType extends avro.types.LogicalType {
  override _fromValue(value: string): string {
    return value;
  }

  override _toValue(value: unknown): string {
    if (typeof value !== 'string' || !UUID_RE.test(value)) throw new TypeError(`not a UUID: ${String(value)}`);
    return value;
  }

  override _resolve(type: avro.Type): ((v: unknown) => unknown) | undefined {
    const name = (type as { typeName?: string }).typeName;
    if (type instanceof UuidType || name === 'string') return (v) => v;
    return undefined;
  }
}

export const K2_LOGICAL_TYPES = {
  decimal: ScaledDecimalType,
  'timestamp-micros': TimestampMicrosType,
  uuid: UuidType,
} as unknown as Record<string, new (schema: avro.Schema, opts?: avro.ForSchemaOptions) => avro.types.LogicalType>;
