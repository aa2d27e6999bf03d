/**
 * Runtime fix for a kafkajs 2.2.4 bug that burns CPU on idle connections
 * (tulios/kafkajs#1556, #1604, #1704): RequestQueue.scheduleCheckPendingRequests
 * re-arms a setTimeout with a negative delay (fires after 1 ms) forever, even with
 * nothing pending, i.e. ~1000 wake-ups per second per connection.
 *
 * With nothing pending and no throttle in force there is nothing to check: a new
 * request either goes out at once or is queued, and queuing calls this method
 * again. So we skip arming the timer in exactly that case and defer to the
 * original otherwise. Applied once, only when the method has the expected shape.
 * See docs/decisions.md ("bus: patch kafkajs idle timer loop").
 */
import { createRequire } from 'node:module';

interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
}

type Schedule = (this: RequestQueueLike) => void;

const require = createRequire(import.meta.url);
let applied = false;

export function applyKafkajsIdleFix(): boolean {
  if (applied) return true;
  try {
    const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: { scheduleCheckPendingRequests?: Schedule } };
    const original = RequestQueue.prototype.scheduleCheckPendingRequests;
    if (typeof original !== 'function' || !String(original).includes('throttledUntil')) return false;
    RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueLike): void {
      if (this.pending.length === 0 && this.throttledUntil - Date.now() <= 0) return;
      original.call(this);
    };
    applied = true;
  } catch {
    applied = false;
  }
  return applied;
}

applyKafkajsIdleFix();
