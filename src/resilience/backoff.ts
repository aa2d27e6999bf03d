/**
 * Exponential backoff with jitter: the n-th delay is min(max, initial * factor^n),
 * reduced by a random fraction of up to `jitter` so that many clients reconnecting
 * at once spread out. Defaults: 5 s doubling to a 60 s cap, 20 % jitter.
 */
import { z } from 'zod';

export const backoffOptionsSchema = z.object({
  initialMs: z.number().positive().default(5_000),
  maxMs: z.number().positive().default(60_000),
  factor: z.number().min(1).default(2),
  /** 0..1: each delay is drawn uniformly from [d * (1 - jitter), d]. */
  jitter: z.number().min(0).max(1).default(0.2),
});
export type BackoffOptions = z.input<typeof backoffOptionsSchema>;

export class ExponentialBackoff {
  private readonly opts: z.output<typeof backoffOptionsSchema>;
  private attempt = 0;

  constructor(opts: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.opts = backoffOptionsSchema.parse(opts);
    if (this.opts.maxMs < this.opts.initialMs) throw new RangeError('backoff maxMs must be >= initialMs');
  }

  /** The next delay in ms; each call grows the un-jittered delay until the cap. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.opts;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    if (base < maxMs) this.attempt++;
    return base * (1 - jitter * this.random());
  }

  /** After a healthy connection: the next delay starts from `initialMs` again. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
