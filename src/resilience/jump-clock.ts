/**
 * A clock that runs in real time but can also jump forward: `jump(ms)` moves
 * `now()` ahead and fires every timer that became due, in due order. Tests use it
 * to reach a simulated 24 h connection limit instantly while sockets, backoff and
 * watchdogs keep working in real time.
 */
import type { Clock, ClockTimer } from './clock.js';

interface Pending {
  due: number;
  fn: () => void;
  real: ReturnType<typeof setTimeout>;
  done: boolean;
}

export class JumpClock implements Clock {
  private offset = 0;
  private readonly pending = new Set<Pending>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const p: Pending = { due: this.now() + Math.max(0, ms), fn, real: undefined as unknown as ReturnType<typeof setTimeout>, done: false };
    p.real = setTimeout(() => this.fire(p), Math.max(0, ms));
    this.pending.add(p);
    return {
      cancel: () => {
        clearTimeout(p.real);
        p.done = true;
        this.pending.delete(p);
      },
    };
  }

  /** Moves time forward by `ms` and fires the timers now due, earliest first. */
  jump(ms: number): void {
    this.offset += ms;
    const now = this.now();
    const due = [...this.pending].filter((p) => p.due <= now).sort((a, b) => a.due - b.due);
    for (const p of due) {
      clearTimeout(p.real);
      this.fire(p);
    }
  }

  private fire(p: Pending): void {
    if (p.done) return;
    p.done = true;
    this.pending.delete(p);
    p.fn();
  }
}
