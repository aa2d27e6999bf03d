/** DescribeGroups (key 15), v0-v2. */
import type { Reader, Writer } from '../primitives.js';

export function decodeDescribeGroupsRequest(r: Reader): string[] {
  return r.array((x) => x.string());
}

export interface DescribedGroup {
  error: number;
  groupId: string;
  state: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>;
}

export function encodeDescribeGroupsResponse(w: Writer, version: number, groups: DescribedGroup[]): void {
  if (version >= 1) w.int32(0);
  w.array(groups, (x, g) => {
    x.int16(g.error).string(g.groupId).string(g.state).string(g.protocolType).string(g.protocolData);
    x.array(g.members, (y, m) => y.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment));
  });
}
