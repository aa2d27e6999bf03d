/** Builds RecordBatch v2 bytes by hand (uncompressed), for tests that bypass kafkajs. */
import { crc32c } from '../../../src/broker/protocol/crc32c.js';

function varint(n: number): Buffer {
  let z = (n << 1) ^ (n >> 31);
  const out: number[] = [];
  z >>>= 0;
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return Buffer.from(out);
}

export interface BatchSpec {
  producerId?: bigint;
  epoch?: number;
  baseSequence?: number;
  timestamp?: bigint;
  records: Array<{ key: string | null; value: string }>;
}

export function buildBatch(spec: BatchSpec): Buffer {
  const recs = spec.records.map((r, i) => {
    const key = r.key === null ? null : Buffer.from(r.key);
    const value = Buffer.from(r.value);
    const body = Buffer.concat([
      Buffer.from([0]),
      varint(0),
      varint(i),
      key === null ? varint(-1) : Buffer.concat([varint(key.length), key]),
      varint(value.length),
      value,
      varint(0),
    ]);
    return Buffer.concat([varint(body.length), body]);
  });
  const records = Buffer.concat(recs);
  const h = Buffer.alloc(61);
  const ts = spec.timestamp ?? 1_700_000_000_000n;
  h.writeBigInt64BE(0n, 0);
  h.writeInt32BE(61 - 12 + records.length, 8);
  h.writeInt32BE(0, 12);
  h.writeInt8(2, 16);
  h.writeInt16BE(0, 21);
  h.writeInt32BE(spec.records.length - 1, 23);
  h.writeBigInt64BE(ts, 27);
  h.writeBigInt64BE(ts, 35);
  h.writeBigInt64BE(spec.producerId ?? -1n, 43);
  h.writeInt16BE(spec.epoch ?? -1, 51);
  h.writeInt32BE(spec.baseSequence ?? -1, 53);
  h.writeInt32BE(spec.records.length, 57);
  const batch = Buffer.concat([h, records]);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

/** A Produce v7 request body with one batch for one partition. */
export function produceBody(topic: string, partition: number, batch: Buffer, acks = -1): Buffer {
  const t = Buffer.from(topic);
  const b = Buffer.alloc(2 + 2 + 4 + 4 + 2 + t.length + 4 + 4 + 4);
  let o = 0;
  o = b.writeInt16BE(-1, o); // transactional_id null
  o = b.writeInt16BE(acks, o);
  o = b.writeInt32BE(5000, o);
  o = b.writeInt32BE(1, o);
  o = b.writeInt16BE(t.length, o);
  o += t.copy(b, o);
  o = b.writeInt32BE(1, o);
  o = b.writeInt32BE(partition, o);
  b.writeInt32BE(batch.length, o);
  return Buffer.concat([b, batch]);
}

/** Parses a Produce v7 response for one topic/partition. */
export function parseProduceResponse(frame: Buffer): { error: number; baseOffset: bigint } {
  // correlation(4) topics(4) name(2+n) partitions(4) index(4) error(2) base(8)
  let o = 4 + 4;
  const n = frame.readInt16BE(o);
  o += 2 + n + 4 + 4;
  return { error: frame.readInt16BE(o), baseOffset: frame.readBigInt64BE(o + 2) };
}
