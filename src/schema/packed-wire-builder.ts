/**
 * Builds a PackedWire (Confluent wire-format values back to back, see wire-format.ts) from
 * Avro bodies that their source writes itself, straight into the buffer: for an encoder
 * that goes from its input to Avro bytes with no record object in between (the Binance
 * trade frames). The bytes are the source's responsibility; the framing (magic byte,
 * schema id) and the buffer are the builder's.
 *
 * The working buffer is kept from batch to batch; `finish()` copies the batch out at its
 * exact size and starts the next one.
 */
import { MAGIC_BYTE, WIRE_HEADER_BYTES, type PackedWire } from './wire-format.js';

/** Writes one Avro body. */
export interface AvroBodyWriter {
  /**
   * Writes the body at buf[pos...] and returns where it ends; returns -1 without writing
   * past buf's end when it does not fit (the builder then grows the buffer and asks again).
   */
  writeBody(buf: Buffer, pos: number): number;
}

const INITIAL_BYTES = 64 * 1024;

export class PackedWireBuilder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private starts: number[] = [];

  constructor(readonly schemaId: number) {}

  /** Values appended since the last finish(). */
  get count(): number {
    return this.starts.length;
  }

  append(body: AvroBodyWriter): void {
    const start = this.pos;
    for (;;) {
      const end = start + WIRE_HEADER_BYTES <= this.buf.length ? body.writeBody(this.buf, start + WIRE_HEADER_BYTES) : -1;
      if (end >= 0) {
        if (end > this.buf.length) throw new RangeError(`an Avro body writer reported an end (${end}) past the buffer (${this.buf.length} bytes)`);
        this.buf[start] = MAGIC_BYTE;
        this.buf.writeUInt32BE(this.schemaId, start + 1);
        this.starts.push(start);
        this.pos = end;
        return;
      }
      const next = Buffer.allocUnsafe(Math.max(INITIAL_BYTES, this.buf.length * 2));
      this.buf.copy(next, 0, 0, start);
      this.buf = next;
    }
  }

  /** The values appended so far, copied out at their exact size; the builder is empty again. */
  finish(): PackedWire {
    const buf = Buffer.allocUnsafe(this.pos);
    this.buf.copy(buf, 0, 0, this.pos);
    const starts = this.starts;
    starts.push(this.pos);
    this.starts = [];
    this.pos = 0;
    return { buf, starts };
  }
}
