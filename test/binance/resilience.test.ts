import { describe, expect, it } from 'vitest';
import { ExponentialBackoff } from '../../src/resilience/backoff.js';
import { BoundedBuffer } from '../../src/resilience/bounded-buffer.js';
import { CircuitBreaker, CircuitOpenError, type BreakerState } from '../../src/resilience/circuit-breaker.js';
import type { Clock, ClockTimer } from '../../src/resilience/clock.js';
import { JumpClock } from '../../src/resilience/jump-clock.js';
import { TokenBucket } from '../../src/resilience/rate-limiter.js';
import { StaleWatchdog } from '../../src/resilience/stale-watchdog.js';

/** A clock that only moves when told to. */
class ManualClock implements Clock {
  t = 1_000_000;
  private timers: { due: number; fn: () => void; done: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer = { due: this.t + ms, fn, done: false };
    this.timers.push(timer);
    return { cancel: () => (timer.done = true) };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => !x.done && x.due <= end).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.t = next.due;
      next.done = true;
      next.fn();
    }
    this.t = end;
  }
}

describe('ExponentialBackoff', () => {
  it('doubles from 5 s to a 60 s cap without jitter', () => {
    const b = new ExponentialBackoff({ jitter: 0 });
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
    b.reset();
    expect(b.next()).toBe(5_000);
  });

  it('jitter draws within [d * (1 - jitter), d]', () => {
    const low = new ExponentialBackoff({ jitter: 0.2 }, () => 1);
    const high = new ExponentialBackoff({ jitter: 0.2 }, () => 0);
    expect(low.next()).toBe(4_000);
    expect(high.next()).toBe(5_000);
    const b = new ExponentialBackoff({ jitter: 0.5 });
    for (let i = 0; i < 50; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(2_500);
      expect(d).toBeLessThanOrEqual(60_000);
    }
  });

  it('rejects a cap below the initial delay', () => {
    expect(() => new ExponentialBackoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});

describe('CircuitBreaker', () => {
  it('opens after 3 consecutive failures, refuses for 30 s, closes after 2 half-open successes', async () => {
    const clock = new ManualClock();
    const changes: BreakerState[] = [];
    const b = new CircuitBreaker('test', {}, clock, (s) => changes.push(s));
    b.recordFailure();
    b.recordFailure();
    b.recordSuccess(); // resets the consecutive count
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.allows()).toBe(false);
    await expect(b.run(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(29_999);
    expect(b.state).toBe('open');
    expect(b.msUntilAllowed()).toBe(1);
    clock.advance(1);
    expect(b.state).toBe('half_open');
    b.recordSuccess();
    expect(b.state).toBe('half_open');
    b.recordSuccess();
    expect(b.state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('a failure while half-open opens it again for a full period', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker('test', { openMs: 1000 }, clock);
    for (let i = 0; i < 3; i++) b.recordFailure();
    clock.advance(1000);
    expect(b.state).toBe('half_open');
    b.recordSuccess();
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.msUntilAllowed()).toBe(1000);
  });

  it('run() records outcomes', async () => {
    const b = new CircuitBreaker('test', { failureThreshold: 2 }, new ManualClock());
    await expect(b.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(b.run(async () => Promise.reject(new Error('y')))).rejects.toThrow('y');
    expect(b.state).toBe('open');
  });
});

describe('StaleWatchdog', () => {
  it('fires once after the silence, not while touched', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const w = new StaleWatchdog(clock, 30_000, (ms) => fired.push(ms));
    w.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(20_000);
      w.touch();
    }
    expect(fired).toEqual([]);
    clock.advance(30_000);
    expect(fired).toEqual([30_000]);
    clock.advance(100_000);
    expect(fired).toHaveLength(1);
  });

  it('stop() disarms it', () => {
    const clock = new ManualClock();
    let fired = false;
    const w = new StaleWatchdog(clock, 10, () => (fired = true));
    w.start();
    w.stop();
    clock.advance(100);
    expect(fired).toBe(false);
  });
});

describe('BoundedBuffer', () => {
  it('never drops: reports the bound and keeps order through take/unshift', () => {
    const b = new BoundedBuffer<number>(3);
    expect(b.push(1)).toBe(false);
    expect(b.push(2)).toBe(false);
    expect(b.push(3)).toBe(true);
    expect(b.push(4)).toBe(true);
    expect(b.size).toBe(4);
    const batch = b.take(2);
    expect(batch).toEqual([1, 2]);
    b.unshift(batch);
    expect(b.take(10)).toEqual([1, 2, 3, 4]);
    expect(b.size).toBe(0);
  });

  it('compacts after many takes', () => {
    const b = new BoundedBuffer<number>(100_000);
    for (let i = 0; i < 20_000; i++) b.push(i);
    const out: number[] = [];
    while (b.size > 0) out.push(...b.take(999));
    expect(out).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });
});

describe('TokenBucket', () => {
  it('serves a burst at once, then waits for refill in clock time', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ perSecond: 10, burst: 20 }, clock);
    await bucket.acquire(20);
    let done = false;
    const p = bucket.acquire(5).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    clock.advance(500);
    await p;
    expect(done).toBe(true);
  });
});

describe('JumpClock', () => {
  it('jump() fires due timers in due order and leaves later ones', () => {
    const clock = new JumpClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 2 * 3_600_000);
    clock.setTimeout(() => fired.push('a'), 3_600_000);
    const late = clock.setTimeout(() => fired.push('late'), 48 * 3_600_000);
    const t0 = clock.now();
    clock.jump(3 * 3_600_000);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3 * 3_600_000);
    late.cancel();
    clock.jump(100 * 3_600_000);
    expect(fired).toEqual(['a', 'b']);
  });
});
