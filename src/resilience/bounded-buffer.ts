/**
 * A FIFO with a bound. It never drops: `push` always stores, and reports when
 * the bound is reached so the producer side can apply backpressure and say so.
 */
export class BoundedBuffer<T> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new RangeError('buffer limit must be > 0');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Stores `item`; returns true when the buffer is now at or above its bound. */
  push(item: T): boolean {
    this.items.push(item);
    return this.size >= this.limit;
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max: number): T[] {
    const end = Math.min(this.items.length, this.head + max);
    const out = this.items.slice(this.head, end);
    this.head = end;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Puts items back at the front (a failed publish), keeping their order. */
  unshift(batch: T[]): void {
    this.items = batch.concat(this.items.slice(this.head));
    this.head = 0;
  }
}
