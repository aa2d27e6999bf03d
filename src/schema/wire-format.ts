/**
 * The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the
 * Avro binary body.
 */
import { createRequire } from 'node:module';
import type avro from 'avsc';
import { K2Error } from '../model/errors.js';
import { fastWriter } from './avro-fast-writer.js';
import type { AvscTap } from './avro-logical-types.js';

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

interface ReadTap {
  buf: Buffer;
  pos: number;
}
interface TapReader {
  _read(tap: ReadTap): unknown;
}
/** avsc's Tap (lib/utils.js), reused for every call instead of one Tap (and result object) per value. */
const AvscTap = (createRequire(import.meta.url)('avsc/lib/utils.js') as { Tap: new (buf: Buffer, pos?: number) => ReadTap }).Tap;
const EMPTY = Buffer.alloc(0);
const tap = new AvscTap(EMPTY, 0);

/**
 * Encodes many values of one type, framed with the schema id, into one shared buffer;
 * each result is a view of its own bytes in it (one allocation for the whole batch
 * instead of one per value). Same bytes as encodeWire per value: the bodies are written
 * by the type's compiled writer (avro-fast-writer.ts), byte-identical to avsc's.
 */
export function encodeWireMany(type: avro.Type, schemaId: number, values: readonly unknown[]): Buffer[] {
  const { buf, starts } = encodeWirePacked(type, schemaId, values);
  const result = new Array<Buffer>(values.length);
  for (let i = 0; i < values.length; i++) result[i] = buf.subarray(starts[i], starts[i + 1]);
  return result;
}

/** Framed values back to back in one buffer: value i is buf[starts[i], starts[i + 1]). */
export interface PackedWire {
  buf: Buffer;
  starts: number[];
}

/**
 * As encodeWireMany, without a view per value: two objects for the whole batch, so encoded
 * values waiting to be sent cost the garbage collector next to nothing.
 */
export function encodeWirePacked(type: avro.Type, schemaId: number, values: readonly unknown[]): PackedWire {
  const write = fastWriter(type);
  let buf = Buffer.allocUnsafe(Math.max(4096, values.length * 192));
  const starts = new Array<number>(values.length + 1);
  let pos = 0;
  const t = tap as ReadTap as AvscTap;
  try {
    t.buf = buf;
    for (let i = 0; i < values.length; i++) {
      starts[i] = pos;
      t.pos = pos + WIRE_HEADER_BYTES;
      write(t, values[i]);
      while (t.pos > buf.length) {
        // bytes past the end were dropped: grow, keep what is done, write the value again
        const next = Buffer.allocUnsafe(Math.max(buf.length * 2, t.pos + 64));
        buf.copy(next, 0, 0, pos);
        buf = next;
        t.buf = buf;
        t.pos = pos + WIRE_HEADER_BYTES;
        write(t, values[i]);
      }
      buf[pos] = MAGIC_BYTE;
      buf.writeUInt32BE(schemaId, pos + 1);
      pos = t.pos;
    }
  } finally {
    t.buf = EMPTY;
  }
  starts[values.length] = pos;
  return { buf, starts };
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
 * The body is read where it lies (no sub-buffer), with one reused avsc Tap.
 */
export function decodeWire<T>(message: Buffer, type: avro.Type, resolver?: object): T {
  if (message.length < WIRE_HEADER_BYTES || message[0] !== MAGIC_BYTE) splitWire(message); // throws the framing error
  const reader = (resolver ?? type) as unknown as TapReader;
  tap.buf = message;
  tap.pos = WIRE_HEADER_BYTES;
  let value: unknown;
  let end: number;
  try {
    value = reader._read(tap);
    end = tap.pos;
  } catch (err) {
    throw new WireFormatError(`cannot decode Avro body: ${(err as Error).message}`);
  } finally {
    tap.buf = EMPTY;
  }
  if (end > message.length) {
    throw new WireFormatError(`cannot decode Avro body: truncated, ${end - message.length} more bytes needed`, { bytes: message.length - WIRE_HEADER_BYTES });
  }
  if (end !== message.length) {
    throw new WireFormatError(`Avro body has ${message.length - end} unexpected trailing bytes`, { offset: end - WIRE_HEADER_BYTES, bytes: message.length - WIRE_HEADER_BYTES });
  }
  return value as T;
}
