/**
 * Validation of every user-supplied query value, shared by the CLI and the API.
 * Inputs arrive as strings; the result holds exact values (bigint micros) ready to
 * be bound as prepared-statement parameters. Errors name the parameter as the caller
 * spells it (e.g. `--from` on the CLI, `start_time` in the API).
 */
import { z } from 'zod';
import { ValidationError } from '../model/errors.js';
import { TRADE_SIDES } from '../model/enums.js';
import { isoToMicros } from '../model/time.js';
import type { Micros } from '../model/trade.js';
import type { SnapshotSelector } from './data-file-source.js';
import { freshSkipReason } from './tail-source.js';

export const BAR_INTERVALS = ['1m', '5m', '15m', '1h', '1d'] as const;
export type BarInterval = (typeof BAR_INTERVALS)[number];

export const DEFAULT_LIMIT = 100;
export const MAX_ROW_LIMIT = 100_000;
export const DEFAULT_BAR_LIMIT = 10_000;
export const MAX_BAR_LIMIT = 100_000;

/** Maps the canonical parameter names to the names the caller uses, for error messages. */
export type ParamNames = Partial<Record<string, string>>;

/** A user-supplied text value: bound as a parameter, so any text is safe; only length and control characters are limited. */
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

const symbolList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .pipe(z.array(text(64)).min(1, 'at least one symbol').max(100, 'at most 100 symbols'));

const isoTime = z.string().transform((s, ctx): Micros => {
  try {
    return isoToMicros(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not an ISO-8601 time (e.g. 2014-03-10T00:00:00Z): ${JSON.stringify(s)}` });
    return z.NEVER;
  }
});

const side = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.enum(TRADE_SIDES, { message: `one of ${TRADE_SIDES.join(', ')}` }));

const order = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(['asc', 'desc'], { message: 'asc or desc' }));

function limitSchema(def: number, max: number) {
  return z
    .union([z.string(), z.number()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return def;
      const s = String(v).trim();
      if (!/^\d+$/.test(s) || Number(s) < 1) {
        ctx.addIssue({ code: 'custom', message: 'a positive integer' });
        return z.NEVER;
      }
      return Math.min(Number(s), max); // capped, never an error
    });
}

const snapshotId = z
  .string()
  .trim()
  .regex(/^-?\d{1,20}$/, 'a snapshot id (an integer)')
  .transform((s) => BigInt(s));

const rangeFields = {
  exchange: text(64).optional(),
  currency: text(64).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  asOf: isoTime.optional(),
  snapshot: snapshotId.optional(),
  fresh: z.boolean().optional(),
};

export const tradeQuerySchema = z.object({
  symbol: symbolList.optional(),
  side: side.optional(),
  limit: limitSchema(DEFAULT_LIMIT, MAX_ROW_LIMIT),
  order: order.optional().default('asc'),
  ...rangeFields,
});
export const quoteQuerySchema = tradeQuerySchema.omit({ side: true });

export const barsQuerySchema = z.object({
  symbol: text(64),
  interval: z.enum(BAR_INTERVALS, { message: `one of ${BAR_INTERVALS.join(', ')}` }),
  limit: limitSchema(DEFAULT_BAR_LIMIT, MAX_BAR_LIMIT),
  ...rangeFields,
});

export const summaryQuerySchema = z.object({
  symbol: text(64),
  date: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'a valid calendar date'),
  exchange: text(64).optional(),
  asOf: isoTime.optional(),
  snapshot: snapshotId.optional(),
  fresh: z.boolean().optional(),
});

export type TradeQuery = z.output<typeof tradeQuerySchema>;
export type QuoteQuery = z.output<typeof quoteQuerySchema>;
export type BarsQuery = z.output<typeof barsQuerySchema>;
export type SummaryQuery = z.output<typeof summaryQuerySchema>;

/** Parses input with a schema; the first issue becomes a ValidationError naming the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, input: unknown, names: ParamNames = {}): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = String(issue.path[0] ?? 'input');
    const name = names[key] ?? key;
    throw new ValidationError(`invalid ${name}: ${issue.message}`, { field: name });
  }
  const out = r.data as z.output<S> & { from?: Micros; to?: Micros; asOf?: Micros; snapshot?: bigint };
  if (out.from !== undefined && out.to !== undefined && out.from >= out.to) {
    const from = names.from ?? 'from';
    throw new ValidationError(`invalid ${from}: must be before ${names.to ?? 'to'}`, { field: from });
  }
  if (out.asOf !== undefined && out.snapshot !== undefined) {
    const name = names.asOf ?? 'asOf';
    throw new ValidationError(`invalid ${name}: give either ${name} or ${names.snapshot ?? 'snapshot'}, not both`, { field: name });
  }
  return out;
}

/** The snapshot a query's time-travel options select. */
export function snapshotSelectorOf(q: { asOf?: Micros; snapshot?: bigint }): SnapshotSelector {
  if (q.snapshot !== undefined) return { kind: 'snapshot-id', snapshotId: q.snapshot };
  if (q.asOf !== undefined) return { kind: 'as-of', timestampMs: Number(q.asOf / 1000n) };
  return { kind: 'current' };
}

/** Fresh (uncommitted) rows are read only for the current state, and unless turned off. */
export function wantsFresh(q: { asOf?: Micros; snapshot?: bigint; fresh?: boolean }): boolean {
  return freshSkipReason(q) === null;
}

