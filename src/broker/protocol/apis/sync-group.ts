/** SyncGroup (key 14), v0-v2. */
import type { SyncResult } from '../../group/consumer-group.js';
import type { Reader, Writer } from '../primitives.js';

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export function decodeSyncGroupRequest(r: Reader): SyncGroupRequest {
  return {
    groupId: r.string(),
    generationId: r.int32(),
    memberId: r.string(),
    assignments: r.array((x) => ({ memberId: x.string(), assignment: Buffer.from(x.bytes()) })),
  };
}

export function encodeSyncGroupResponse(w: Writer, version: number, res: SyncResult): void {
  if (version >= 1) w.int32(0);
  w.int16(res.error).bytes(res.assignment);
}
