/** JoinGroup (key 11), v0-v3. */
import type { JoinResult } from '../../group/consumer-group.js';
import type { Reader, Writer } from '../primitives.js';

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
}

export function decodeJoinGroupRequest(r: Reader, version: number): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const protocolType = r.string();
  // Copy metadata out of the frame: it outlives the request.
  const protocols = r.array((x) => ({ name: x.string(), metadata: Buffer.from(x.bytes()) }));
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, protocolType, protocols };
}

export function encodeJoinGroupResponse(w: Writer, version: number, res: JoinResult): void {
  if (version >= 2) w.int32(0);
  w.int16(res.error).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId);
  w.array(res.members, (x, m) => x.string(m.memberId).bytes(m.metadata));
}
