/**
 * Avro object container files, written and read in one synchronous call.
 *
 * Manifests and manifest lists are small, so one block per file is enough. The
 * header's `avro.schema` is the schema JSON as given (with Iceberg's `field-id`,
 * `element-id` and `logicalType: "map"` attributes kept verbatim), and every Avro
 * long is a JS bigint (63-bit snapshot ids must never pass through a number).
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { bigintLongType } from '../schema/avro-bigint-long.js';
import { IcebergError } from './errors.js';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1

const HEADER_TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});

export type AvroCodec = 'null' | 'deflate';

/** An avsc type whose longs are bigints. */
export function bigintAvroType(schema: avro.Schema): avro.Type {
  return avro.Type.forSchema(schema, {
    typeHook: (s: avro.Schema) =>
      s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long' && !(s as { logicalType?: unknown }).logicalType)
        ? bigintLongType
        : undefined,
  } as unknown as Partial<avro.ForSchemaOptions>);
}

function zigzagLong(n: number): Buffer {
  return bigintLongType.toBuffer(BigInt(n));
}

export function encodeAvroContainer(
  schema: object,
  type: avro.Type,
  records: readonly unknown[],
  metadata: Record<string, string>,
  codec: AvroCodec = 'null',
): Buffer {
  const meta: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v, 'utf8');
  meta['avro.schema'] = Buffer.from(JSON.stringify(schema), 'utf8');
  meta['avro.codec'] = Buffer.from(codec, 'utf8');
  const sync = randomBytes(16);
  const parts: Buffer[] = [HEADER_TYPE.toBuffer({ magic: MAGIC, meta, sync })];
  if (records.length > 0) {
    const body = Buffer.concat(records.map((r) => type.toBuffer(r)));
    const data = codec === 'deflate' ? deflateRawSync(body) : body;
    parts.push(zigzagLong(records.length), zigzagLong(data.length), data, sync);
  }
  return Buffer.concat(parts);
}

export interface AvroContainer {
  metadata: Record<string, string>;
  schema: avro.Schema;
  records: unknown[];
}

/** Reads a whole container file (codec null or deflate), decoding with its own writer schema. */
export function decodeAvroContainer(buf: Buffer, file = '<buffer>'): AvroContainer {
  let header: { magic: Buffer; meta: Record<string, Buffer>; sync: Buffer };
  let pos: number;
  try {
    const r = HEADER_TYPE.decode(buf, 0) as { value: typeof header; offset: number };
    if (r.offset < 0) throw new Error('truncated header');
    header = r.value;
    pos = r.offset;
  } catch (err) {
    throw new IcebergError(`not an Avro container file: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (!header.magic.equals(MAGIC)) throw new IcebergError('not an Avro container file: bad magic', { file });
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(header.meta)) metadata[k] = v.toString('utf8');
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new IcebergError(`unsupported Avro codec ${codec}`, { file });
  const schema = JSON.parse(metadata['avro.schema'] ?? 'null') as avro.Schema;
  const type = bigintAvroType(schema);
  const records: unknown[] = [];
  while (pos < buf.length) {
    const count = bigintLongType.decode(buf, pos) as { value: bigint; offset: number };
    const size = bigintLongType.decode(buf, count.offset) as { value: bigint; offset: number };
    const start = size.offset;
    const end = start + Number(size.value);
    if (end + 16 > buf.length) throw new IcebergError('truncated Avro block', { file });
    const raw = buf.subarray(start, end);
    const data = codec === 'deflate' ? inflateRawSync(raw) : raw;
    let off = 0;
    for (let i = 0n; i < count.value; i++) {
      const r = type.decode(data, off) as { value: unknown; offset: number };
      records.push(r.value);
      off = r.offset;
    }
    if (!buf.subarray(end, end + 16).equals(header.sync)) throw new IcebergError('Avro sync marker mismatch', { file });
    pos = end + 16;
  }
  return { metadata, schema, records };
}
