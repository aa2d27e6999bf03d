/** OffsetFetch (key 9), v0-v4. */
import type { Reader, Writer } from '../primitives.js';

export interface OffsetFetchRequest {
  groupId: string;
  /** null = every partition the group has committed. */
  topics: Array<{ name: string; partitions: number[] }> | null;
}

export function decodeOffsetFetchRequest(r: Reader): OffsetFetchRequest {
  const groupId = r.string();
  const topics = r.nullableArray((x) => ({ name: x.string(), partitions: x.array((y) => y.int32()) }));
  return { groupId, topics };
}

export interface OffsetFetchPartition {
  index: number;
  offset: bigint;
  metadata: string;
  error: number;
}

export function encodeOffsetFetchResponse(w: Writer, version: number, topics: Array<{ name: string; partitions: OffsetFetchPartition[] }>, error: number): void {
  if (version >= 3) w.int32(0);
  w.array(topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.index).int64(p.offset).nullableString(p.metadata).int16(p.error));
  });
  if (version >= 2) w.int16(error);
}
