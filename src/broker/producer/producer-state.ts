/**
 * Idempotent-producer state per producer id: the newest epoch, and per
 * topic-partition the last appended sequence plus the last 5 batches
 * (firstSeq, lastSeq, baseOffset), following Kafka's ProducerAppendInfo.
 * Duplicates are answered with the original offset (never error 46).
 * Rebuilt at startup from the batch headers of each active segment.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { BatchHeader } from '../protocol/record-batch.js';

const CACHED_BATCHES = 5;
const INT32_MAX = 2147483647;

interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
}

interface PartitionProducerState {
  epoch: number;
  lastSeq: number;
  batches: CachedBatch[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: bigint }
  | { kind: 'reject'; error: number; reason: string };

function lastSequence(h: BatchHeader): number {
  const last = h.baseSequence + h.lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

export class ProducerStateManager {
  private readonly epochs = new Map<bigint, number>();
  private readonly partitions = new Map<string, Map<bigint, PartitionProducerState>>();

  private key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  check(topic: string, partition: number, h: BatchHeader): SequenceCheck {
    if (h.producerId < 0n) return { kind: 'append' };
    const state = this.partitions.get(this.key(topic, partition))?.get(h.producerId);
    const storedEpoch = this.epochs.get(h.producerId);
    const last = lastSequence(h);
    if (state && h.producerEpoch === state.epoch) {
      const dup = state.batches.find((b) => b.firstSeq === h.baseSequence && b.lastSeq === last);
      if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset };
    }
    if (storedEpoch !== undefined && h.producerEpoch < storedEpoch) {
      return { kind: 'reject', error: ErrorCode.INVALID_PRODUCER_EPOCH, reason: `epoch ${h.producerEpoch} < ${storedEpoch}` };
    }
    if (!state) return { kind: 'append' }; // unknown producer/partition: accept any sequence (Kafka does too)
    if (h.producerEpoch > state.epoch) {
      return h.baseSequence === 0
        ? { kind: 'append' }
        : { kind: 'reject', error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, reason: `new epoch must start at sequence 0, got ${h.baseSequence}` };
    }
    const expected = state.lastSeq === INT32_MAX ? 0 : state.lastSeq + 1;
    if (h.baseSequence !== expected) {
      return { kind: 'reject', error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, reason: `expected sequence ${expected}, got ${h.baseSequence}` };
    }
    return { kind: 'append' };
  }

  /** Records an appended batch (call only after a successful append). */
  record(topic: string, partition: number, h: BatchHeader, baseOffset: bigint): void {
    if (h.producerId < 0n) return;
    const key = this.key(topic, partition);
    let byProducer = this.partitions.get(key);
    if (!byProducer) {
      byProducer = new Map();
      this.partitions.set(key, byProducer);
    }
    let state = byProducer.get(h.producerId);
    if (!state || h.producerEpoch !== state.epoch) {
      state = { epoch: h.producerEpoch, lastSeq: -1, batches: [] };
      byProducer.set(h.producerId, state);
    }
    const last = lastSequence(h);
    state.lastSeq = last;
    state.batches.push({ firstSeq: h.baseSequence, lastSeq: last, baseOffset });
    if (state.batches.length > CACHED_BATCHES) state.batches.shift();
    const e = this.epochs.get(h.producerId);
    if (e === undefined || h.producerEpoch > e) this.epochs.set(h.producerId, h.producerEpoch);
  }

  /** Highest producer id seen (for the id allocator after a restart), or -1. */
  maxProducerId(): bigint {
    let max = -1n;
    for (const id of this.epochs.keys()) if (id > max) max = id;
    return max;
  }

  dropTopic(topic: string): void {
    for (const key of [...this.partitions.keys()]) if (key.startsWith(`${topic}\u0000`)) this.partitions.delete(key);
  }
}
