/** Heartbeat (key 12), v0-v2. */
import type { Reader, Writer } from '../primitives.js';

export function decodeHeartbeatRequest(r: Reader): { groupId: string; generationId: number; memberId: string } {
  return { groupId: r.string(), generationId: r.int32(), memberId: r.string() };
}

export function encodeHeartbeatResponse(w: Writer, version: number, error: number): void {
  if (version >= 1) w.int32(0);
  w.int16(error);
}
