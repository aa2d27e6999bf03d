/** ListGroups (key 16), v0-v2 (empty request body). */
import type { Writer } from '../primitives.js';

export function encodeListGroupsResponse(w: Writer, version: number, groups: Array<{ groupId: string; protocolType: string }>): void {
  if (version >= 1) w.int32(0);
  w.int16(0);
  w.array(groups, (x, g) => x.string(g.groupId).string(g.protocolType));
}
