/** DeleteTopics (key 20), v0-v1. */
import type { Reader, Writer } from '../primitives.js';

export function decodeDeleteTopicsRequest(r: Reader): string[] {
  const names = r.array((x) => x.string());
  r.int32(); // timeout_ms
  return names;
}

export function encodeDeleteTopicsResponse(w: Writer, version: number, topics: Array<{ name: string; error: number }>): void {
  if (version >= 1) w.int32(0);
  w.array(topics, (x, t) => x.string(t.name).int16(t.error));
}
