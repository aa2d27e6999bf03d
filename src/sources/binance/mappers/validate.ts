/** Runs the zod contract on a payload the fast check refused, and explains why. */
import type { z } from 'zod';
import { MAX_TIMESTAMP_MILLIS } from '../../../model/time.js';
import { BinanceMessageError } from '../errors.js';
import { describeIssue } from '../schemas.js';

export function validateOrThrow<T>(schema: z.ZodType<T>, data: Record<string, unknown>, channel: string): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const { field, message } = describeIssue(r.error);
  const symbol = typeof data.s === 'string' ? data.s : undefined;
  throw new BinanceMessageError('invalid_payload', `${channel} payload: ${field || '(root)'}: ${message}`, { channel, field, symbol });
}

/** Same predicate as the zod `id` schema. */
export function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Same predicate as the zod `millis` schema. */
export function isMillis(v: unknown): v is number {
  return isUint(v) && v <= MAX_TIMESTAMP_MILLIS;
}

/** Same predicate as the zod `decimalText` schema. */
export function isDecimalText(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= 64;
}

const SYMBOL_RE = /^[A-Z0-9]{2,30}$/;
export function isSymbol(v: unknown): v is string {
  return typeof v === 'string' && SYMBOL_RE.test(v);
}
