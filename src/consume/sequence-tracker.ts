/**
 * Sequence gap detection per (exchange, symbol) on source_sequence.
 * Classifies each sequence against the last one seen: in order, forward gap
 * (with the missing range), out of order (older than the last), or duplicate.
 */
export type SequenceEvent =
  | { kind: 'in_order' }
  | { kind: 'gap'; from: bigint; to: bigint; missing: bigint }
  | { kind: 'out_of_order'; sequence: bigint; last: bigint }
  | { kind: 'duplicate'; sequence: bigint };

export class SequenceTracker {
  private readonly last = new Map<string, bigint>();

  /** Observes one sequence for a stream key (e.g. "BINANCE|BTCUSDT"). */
  observe(key: string, sequence: bigint): SequenceEvent {
    const prev = this.last.get(key);
    if (prev === undefined) {
      this.last.set(key, sequence);
      return { kind: 'in_order' };
    }
    if (sequence === prev + 1n) {
      this.last.set(key, sequence);
      return { kind: 'in_order' };
    }
    if (sequence === prev) return { kind: 'duplicate', sequence };
    if (sequence < prev) return { kind: 'out_of_order', sequence, last: prev };
    this.last.set(key, sequence);
    return { kind: 'gap', from: prev + 1n, to: sequence - 1n, missing: sequence - prev - 1n };
  }

  lastSequence(key: string): bigint | undefined {
    return this.last.get(key);
  }

  /**
   * Forgets every stream: the next sequence of each is taken as it comes. After a
   * rebalance the consumer re-reads from the table's offsets what it had seen but not
   * committed; without this, every such record would read as out of order.
   */
  reset(): void {
    this.last.clear();
  }
}
