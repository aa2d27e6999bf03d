/**
 * Fires `onStale` when `touch()` has not been called for `staleAfterMs`. It keeps
 * one timer and re-arms it lazily, so touching on every message costs nothing.
 */
import type { Clock, ClockTimer } from './clock.js';

export class StaleWatchdog {
  private last: number;
  private timer: ClockTimer | null = null;
  private stopped = false;

  constructor(private readonly clock: Clock, readonly staleAfterMs: number, private readonly onStale: (silentForMs: number) => void) {
    this.last = clock.now();
  }

  start(): void {
    this.stopped = false;
    this.last = this.clock.now();
    this.arm(this.staleAfterMs);
  }

  touch(): void {
    this.last = this.clock.now();
  }

  /** touch() with a reading of this watchdog's clock the caller already has. */
  touchAt(now: number): void {
    this.last = now;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(ms: number): void {
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(() => this.check(), ms);
  }

  private check(): void {
    if (this.stopped) return;
    const silent = this.clock.now() - this.last;
    if (silent >= this.staleAfterMs) {
      this.stopped = true;
      this.timer = null;
      this.onStale(silent);
    } else {
      this.arm(this.staleAfterMs - silent);
    }
  }
}
