/**
 * A circuit breaker that really opens: after `failureThreshold` consecutive
 * failures it refuses every attempt for `openMs`; then it lets probes through
 * (half-open), and closes only after `halfOpenSuccesses` successes. A failure
 * while half-open opens it again for another `openMs`.
 */
import { z } from 'zod';
import { K2Error } from '../model/errors.js';
import { systemClock, type Clock } from './clock.js';

export const BREAKER_STATES = ['closed', 'half_open', 'open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];
/** Numeric encoding of the states for the k2_circuit_breaker_state gauge. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export const breakerOptionsSchema = z.object({
  failureThreshold: z.number().int().positive().default(3),
  openMs: z.number().positive().default(30_000),
  halfOpenSuccesses: z.number().int().positive().default(2),
});
export type BreakerOptions = z.input<typeof breakerOptionsSchema>;

export class CircuitOpenError extends K2Error {
  constructor(breaker: string, retryInMs: number) {
    super('CIRCUIT_OPEN', `circuit breaker ${breaker} is open`, { breaker, retry_in_ms: Math.ceil(retryInMs) });
  }
}

export class CircuitBreaker {
  private readonly opts: z.output<typeof breakerOptionsSchema>;
  private current: BreakerState = 'closed';
  private failures = 0;
  private successes = 0;
  private openedAt = 0;

  constructor(
    readonly name: string,
    opts: BreakerOptions = {},
    private readonly clock: Clock = systemClock,
    private readonly onStateChange: (state: BreakerState, previous: BreakerState) => void = () => {},
  ) {
    this.opts = breakerOptionsSchema.parse(opts);
  }

  /** The state now (an open breaker whose time is up reads as half-open). */
  get state(): BreakerState {
    if (this.current === 'open' && this.clock.now() - this.openedAt >= this.opts.openMs) this.transition('half_open');
    return this.current;
  }

  /** Whether an attempt may be made now. */
  allows(): boolean {
    return this.state !== 'open';
  }

  /** Milliseconds until an attempt is allowed (0 when it is now). */
  msUntilAllowed(): number {
    return this.state === 'open' ? Math.max(0, this.openedAt + this.opts.openMs - this.clock.now()) : 0;
  }

  /** Throws CircuitOpenError when open. */
  assertAllows(): void {
    if (!this.allows()) throw new CircuitOpenError(this.name, this.msUntilAllowed());
  }

  recordSuccess(): void {
    const state = this.state;
    this.failures = 0;
    if (state === 'half_open') {
      this.successes++;
      if (this.successes >= this.opts.halfOpenSuccesses) this.transition('closed');
    }
  }

  recordFailure(): void {
    const state = this.state;
    if (state === 'half_open') {
      this.open();
      return;
    }
    if (state === 'open') return;
    this.failures++;
    if (this.failures >= this.opts.failureThreshold) this.open();
  }

  /** Runs `fn` through the breaker: refuses when open, records its outcome. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.assertAllows();
    try {
      const v = await fn();
      this.recordSuccess();
      return v;
    } catch (err) {
      this.recordFailure();
      throw err;
    }
  }

  private open(): void {
    this.openedAt = this.clock.now();
    this.failures = 0;
    this.transition('open');
  }

  private transition(next: BreakerState): void {
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    this.successes = 0;
    this.onStateChange(next, previous);
  }
}
