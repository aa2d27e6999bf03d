/** Metadata (key 3), v0-v4. */
import type { Reader, Writer } from '../primitives.js';

export interface MetadataRequest {
  /** null = all topics. */
  topics: string[] | null;
  allowAutoTopicCreation: boolean;
}

export function decodeMetadataRequest(r: Reader, version: number): MetadataRequest {
  let topics = r.nullableArray((x) => x.string());
  if (version === 0 && topics !== null && topics.length === 0) topics = null;
  const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
  return { topics, allowAutoTopicCreation };
}

export interface MetadataResponse {
  broker: { nodeId: number; host: string; port: number };
  clusterId: string;
  topics: Array<{ error: number; name: string; partitions: Array<{ error: number; index: number }> }>;
}

export function encodeMetadataResponse(w: Writer, version: number, res: MetadataResponse): void {
  if (version >= 3) w.int32(0);
  const b = res.broker;
  w.int32(1).int32(b.nodeId).string(b.host).int32(b.port);
  if (version >= 1) w.nullableString(null);
  if (version >= 2) w.nullableString(res.clusterId);
  if (version >= 1) w.int32(b.nodeId);
  w.array(res.topics, (x, t) => {
    x.int16(t.error).string(t.name);
    if (version >= 1) x.bool(false);
    x.array(t.partitions, (y, p) => {
      y.int16(p.error).int32(p.index).int32(b.nodeId);
      y.int32(1).int32(b.nodeId);
      y.int32(1).int32(b.nodeId);
    });
  });
}
