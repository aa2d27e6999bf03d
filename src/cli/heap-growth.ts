/**
 * V8 old-generation growth for the long-running commands.
 *
 * After each full GC, V8 lets the old generation grow to its live size times a factor
 * it picks from GC speed, up to 4x for small heaps. A streaming process has a small live
 * heap and a steady trickle of promoted garbage (records that outlived a produce round
 * trip), so with that factor most of its peak RSS is garbage waiting for the next full
 * GC, in the main isolate and in the consumer worker alike. `k2 stream binance` into
 * Iceberg at steady state (500k frames) peaked at 386-426 MB with V8's choice and at
 * 322-356 MB with 2x, for 0-10 % more CPU (docs/decisions.md).
 *
 * Batch commands (`load`, `query`, `compact`) keep V8's choice: they end, and speed is
 * what they are measured by. `K2_HEAP_GROWING_PERCENT` overrides the policy for every
 * command; 0 means V8's own choice.
 */
import { z } from 'zod';
import { parseSetting } from '../config/global-options.js';
import { setHeapGrowingPercent } from '../runtime/v8-heap-growing.js';

/** Old generation may grow to (1 + percent/100) times its live size after a full GC. */
export const LONG_RUNNING_HEAP_GROWING_PERCENT = 100;

const LONG_RUNNING_COMMANDS: ReadonlySet<string> = new Set(['stream', 'consume', 'serve', 'broker', 'demo']);

const percentSchema = z.string().trim().regex(/^\d{1,4}$/).transform(Number);

/**
 * The growth percent to apply for `command`, or null to leave V8's adaptive default.
 * Throws ConfigError naming K2_HEAP_GROWING_PERCENT when that variable is malformed.
 */
export function heapGrowingPercentFor(command: string | undefined, env: NodeJS.ProcessEnv): number | null {
  const raw = env.K2_HEAP_GROWING_PERCENT;
  if (raw !== undefined && raw.trim() !== '') {
    const percent = parseSetting(percentSchema, raw, 'K2_HEAP_GROWING_PERCENT', 'a whole number of percent from 0 to 9999 (0 = V8 default)');
    return percent === 0 ? null : percent;
  }
  return command !== undefined && LONG_RUNNING_COMMANDS.has(command) ? LONG_RUNNING_HEAP_GROWING_PERCENT : null;
}

/**
 * Sets V8's heap growing factor for this process. The flag is process-wide, so the consumer
 * worker's isolate follows it too (once it has loaded: v8-heap-growing.ts). Returns what was set.
 */
export function applyHeapGrowth(command: string | undefined, env: NodeJS.ProcessEnv = process.env): number | null {
  const percent = heapGrowingPercentFor(command, env);
  if (percent !== null) setHeapGrowingPercent(percent);
  return percent;
}
