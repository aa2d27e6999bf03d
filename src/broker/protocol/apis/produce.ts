/** Produce (key 0), v0-v7 (only RecordBatch v2 is accepted, so v3+ in practice). */
import type { Reader, Writer } from '../primitives.js';

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: Array<{ name: string; partitions: Array<{ index: number; records: Buffer | null }> }>;
}

export function decodeProduceRequest(r: Reader, version: number): ProduceRequest {
  const transactionalId = version >= 3 ? r.nullableString() : null;
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topics = r.array((x) => ({
    name: x.string(),
    partitions: x.array((y) => ({ index: y.int32(), records: y.nullableBytes() })),
  }));
  return { transactionalId, acks, timeoutMs, topics };
}

export interface ProducePartitionResult {
  index: number;
  error: number;
  baseOffset: bigint;
  logStartOffset: bigint;
}

export function encodeProduceResponse(w: Writer, version: number, topics: Array<{ name: string; partitions: ProducePartitionResult[] }>): void {
  w.array(topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => {
      y.int32(p.index).int16(p.error).int64(p.baseOffset);
      if (version >= 2) y.int64(-1n);
      if (version >= 5) y.int64(p.logStartOffset);
    });
  });
  if (version >= 1) w.int32(0);
}
