/**
 * A token bucket for request weight (Binance limits REST by weight per minute).
 * `acquire(weight)` waits until the bucket holds `weight` tokens.
 */
import { systemClock, sleep, type Clock } from './clock.js';

export interface RateLimiterOptions {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: the largest burst. */
  burst: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: RateLimiterOptions, private readonly clock: Clock = systemClock) {
    if (!(opts.perSecond > 0) || !(opts.burst > 0)) throw new RangeError('rate limiter needs perSecond > 0 and burst > 0');
    this.tokens = opts.burst;
    this.last = clock.now();
  }

  /** Resolves once `weight` tokens were taken; callers are served in order. */
  acquire(weight = 1, signal?: AbortSignal): Promise<void> {
    const w = Math.min(weight, this.opts.burst);
    const turn = this.queue.then(async () => {
      for (;;) {
        this.refill();
        if (this.tokens >= w || signal?.aborted) {
          this.tokens -= w;
          return;
        }
        await sleep(this.clock, ((w - this.tokens) / this.opts.perSecond) * 1000, signal);
      }
    });
    this.queue = turn.catch(() => {});
    return turn;
  }

  /** Drains the bucket, e.g. after the server answered 429. */
  drain(): void {
    this.refill();
    this.tokens = 0;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.last) / 1000) * this.opts.perSecond);
    this.last = now;
  }
}
