/** FindCoordinator (key 10), v0-v2. This node is always the coordinator. */
import type { Reader, Writer } from '../primitives.js';

export function decodeFindCoordinatorRequest(r: Reader, version: number): { key: string; keyType: number } {
  const key = r.string();
  return { key, keyType: version >= 1 ? r.int8() : 0 };
}

export function encodeFindCoordinatorResponse(w: Writer, version: number, node: { nodeId: number; host: string; port: number }): void {
  if (version >= 1) w.int32(0);
  w.int16(0);
  if (version >= 1) w.nullableString(null);
  w.int32(node.nodeId).string(node.host).int32(node.port);
}
