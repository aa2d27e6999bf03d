/**
 * The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the
 * Avro binary body.
 */
import type avro from 'avsc';
import { K2Error } from '../model/errors.js';

export const MAGIC_BYTE = 0;
export const WIRE_HEADER_BYTES = 5;

export class WireFormatError extends K2Error {
  constructor(message: string, context: Record<string, string | number> = {}) {
    super('WIRE_FORMAT', message, context);
  }
}

/** Scratch buffer the body is encoded into (after room for the header); grows on overflow, never shrinks. */
let scratch = Buffer.allocUnsafe(4096);

/**
 * Encodes a value with the given type, framed with the schema id. The body is encoded once,
 * into a reused scratch buffer, and copied once into an exact-length result.
 */
export function encodeWire(type: avro.Type, schemaId: number, value: unknown): Buffer {
  let end = type.encode(value, scratch, WIRE_HEADER_BYTES);
  if (end < 0) {
    // avsc returns minus the number of missing bytes
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
    end = type.encode(value, scratch, WIRE_HEADER_BYTES);
  }
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, WIRE_HEADER_BYTES, WIRE_HEADER_BYTES, end);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  return out;
}

/**
 * Encodes many values of one type, framed with the schema id, into one shared buffer;
 * each result is a view of its own bytes in it (one allocation for the whole batch
 * instead of one per value). Same bytes as encodeWire per value.
 */
export function encodeWireMany(type: avro.Type, schemaId: number, values: readonly unknown[]): Buffer[] {
  let buf = Buffer.allocUnsafe(Math.max(4096, values.length * 192));
  const starts = new Array<number>(values.length + 1);
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    starts[i] = pos;
    let end = buf.length - pos < 64 ? -64 : type.encode(values[i], buf, pos + WIRE_HEADER_BYTES);
    while (end < 0) {
      const next = Buffer.allocUnsafe(Math.max(buf.length * 2, buf.length - end + 64));
      buf.copy(next, 0, 0, pos);
      buf = next;
      end = type.encode(values[i], buf, pos + WIRE_HEADER_BYTES);
    }
    buf[pos] = MAGIC_BYTE;
    buf.writeUInt32BE(schemaId, pos + 1);
    pos = end;
  }
  starts[values.length] = pos;
  const result = new Array<Buffer>(values.length);
  for (let i = 0; i < values.length; i++) result[i] = buf.subarray(starts[i], starts[i + 1]);
  return result;
}

export interface WireFrame {
  schemaId: number;
  body: Buffer;
}

/** Splits a framed message into its schema id and Avro body. */
export function splitWire(message: Buffer): WireFrame {
  if (message.length < WIRE_HEADER_BYTES) {
    throw new WireFormatError(`message too short for the Confluent wire format: ${message.length} bytes`, {
      bytes: message.length,
    });
  }
  if (message[0] !== MAGIC_BYTE) {
    throw new WireFormatError(`unknown magic byte ${message[0]}`, { magic: message[0]! });
  }
  return { schemaId: message.readUInt32BE(1), body: message.subarray(WIRE_HEADER_BYTES) };
}

/**
 * Decodes a framed message with a type (or a resolver built from the writer's schema).
 * Trailing bytes after the record are an error: they mean the wrong schema was used.
 */
export function decodeWire<T>(message: Buffer, type: avro.Type, resolver?: object): T {
  const { body } = splitWire(message);
  try {
    const res = type.decode(body, 0, resolver as Parameters<avro.Type['decode']>[2]);
    if (res.offset !== body.length) {
      throw new WireFormatError(`Avro body has ${body.length - Math.max(res.offset, 0)} unexpected trailing bytes`, {
        offset: res.offset,
        bytes: body.length,
      });
    }
    return res.value as T;
  } catch (err) {
    if (err instanceof WireFormatError) throw err;
    throw new WireFormatError(`cannot decode Avro body: ${(err as Error).message}`);
  }
}
