/** ListOffsets (key 2), v0-v2. Timestamp -1 = latest, -2 = earliest. */
import type { Reader, Writer } from '../primitives.js';

export interface ListOffsetsRequest {
  topics: Array<{ name: string; partitions: Array<{ index: number; timestamp: bigint }> }>;
}

export function decodeListOffsetsRequest(r: Reader, version: number): ListOffsetsRequest {
  r.int32(); // replica_id
  if (version >= 2) r.int8(); // isolation_level
  const topics = r.array((x) => ({
    name: x.string(),
    partitions: x.array((y) => {
      const index = y.int32();
      const timestamp = y.int64();
      if (version === 0) y.int32(); // max_num_offsets
      return { index, timestamp };
    }),
  }));
  return { topics };
}

export interface ListOffsetsPartitionResult {
  index: number;
  error: number;
  timestamp: bigint;
  offset: bigint;
}

export function encodeListOffsetsResponse(w: Writer, version: number, topics: Array<{ name: string; partitions: ListOffsetsPartitionResult[] }>): void {
  if (version >= 2) w.int32(0);
  w.array(topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => {
      y.int32(p.index).int16(p.error);
      if (version === 0) {
        if (p.offset >= 0n) y.int32(1).int64(p.offset);
        else y.int32(0);
      } else y.int64(p.timestamp).int64(p.offset);
    });
  });
}
