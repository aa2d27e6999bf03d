/** CreateTopics (key 19), v0-v3. */
import type { Reader, Writer } from '../primitives.js';

export interface CreateTopicsRequest {
  topics: Array<{ name: string; numPartitions: number; replicationFactor: number; assignments: number }>;
  validateOnly: boolean;
}

export function decodeCreateTopicsRequest(r: Reader, version: number): CreateTopicsRequest {
  const topics = r.array((x) => {
    const name = x.string();
    const numPartitions = x.int32();
    const replicationFactor = x.int16();
    const assignments = x.array((y) => {
      y.int32();
      return y.array((z) => z.int32());
    }).length;
    x.array((y) => [y.string(), y.nullableString()]);
    return { name, numPartitions, replicationFactor, assignments };
  });
  r.int32(); // timeout_ms
  const validateOnly = version >= 1 ? r.bool() : false;
  return { topics, validateOnly };
}

export function encodeCreateTopicsResponse(w: Writer, version: number, topics: Array<{ name: string; error: number; message: string | null }>): void {
  if (version >= 2) w.int32(0);
  w.array(topics, (x, t) => {
    x.string(t.name).int16(t.error);
    if (version >= 1) x.nullableString(t.message);
  });
}
