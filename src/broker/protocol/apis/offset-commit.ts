/** OffsetCommit (key 8), v0-v5. */
import type { Reader, Writer } from '../primitives.js';

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  topics: Array<{ name: string; partitions: Array<{ index: number; offset: bigint; metadata: string | null }> }>;
}

export function decodeOffsetCommitRequest(r: Reader, version: number): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = version >= 1 ? r.int32() : -1;
  const memberId = version >= 1 ? r.string() : '';
  if (version >= 2 && version <= 4) r.int64(); // retention_time_ms
  const topics = r.array((x) => ({
    name: x.string(),
    partitions: x.array((y) => {
      const index = y.int32();
      const offset = y.int64();
      if (version === 1) y.int64(); // commit_timestamp
      return { index, offset, metadata: y.nullableString() };
    }),
  }));
  return { groupId, generationId, memberId, topics };
}

export function encodeOffsetCommitResponse(w: Writer, version: number, topics: Array<{ name: string; partitions: Array<{ index: number; error: number }> }>): void {
  if (version >= 3) w.int32(0);
  w.array(topics, (x, t) => {
    x.string(t.name);
    x.array(t.partitions, (y, p) => y.int32(p.index).int16(p.error));
  });
}
