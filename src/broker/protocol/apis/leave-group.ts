/** LeaveGroup (key 13), v0-v1. */
import type { Reader, Writer } from '../primitives.js';

export function decodeLeaveGroupRequest(r: Reader): { groupId: string; memberId: string } {
  return { groupId: r.string(), memberId: r.string() };
}

export function encodeLeaveGroupResponse(w: Writer, version: number, error: number): void {
  if (version >= 1) w.int32(0);
  w.int16(error);
}
