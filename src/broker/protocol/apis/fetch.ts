/** Fetch (key 1), v0-v6. */
import type { Reader, Writer } from '../primitives.js';

export interface FetchPartitionRequest {
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
}

export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  topics: Array<{ topic: string; partitions: FetchPartitionRequest[] }>;
}

export function decodeFetchRequest(r: Reader, version: number): FetchRequest {
  r.int32(); // replica_id
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = version >= 3 ? r.int32() : 0x7fffffff;
  if (version >= 4) r.int8(); // isolation_level: no transactions, so both levels read the same data
  const topics = r.array((x) => ({
    topic: x.string(),
    partitions: x.array((y) => {
      const partition = y.int32();
      const fetchOffset = y.int64();
      if (version >= 5) y.int64(); // log_start_offset (followers only)
      return { partition, fetchOffset, maxBytes: y.int32() };
    }),
  }));
  return { maxWaitMs, minBytes, maxBytes, topics };
}

export interface FetchPartitionResult {
  partition: number;
  error: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  batches: Buffer[];
}

export function encodeFetchResponse(w: Writer, version: number, topics: Array<{ topic: string; partitions: FetchPartitionResult[] }>): void {
  if (version >= 1) w.int32(0);
  w.array(topics, (x, t) => {
    x.string(t.topic);
    x.array(t.partitions, (y, p) => {
      y.int32(p.partition).int16(p.error).int64(p.highWatermark);
      if (version >= 4) y.int64(p.highWatermark); // last_stable_offset = high watermark (no transactions)
      if (version >= 5) y.int64(p.logStartOffset);
      if (version >= 4) y.int32(0); // aborted_transactions: empty
      y.recordsByReference(p.batches);
    });
  });
}
