/**
 * The sparse offset index of one log segment: an entry (offset relative to the
 * segment's base offset, INT32 file position) every `intervalBytes` of log, kept
 * in memory and appended to `<base>.index` as 8-byte big-endian pairs. Lookups
 * return the position of the last indexed batch at or before an offset; the
 * reader then scans forward over batch headers.
 */
import { closeSync, openSync, readFileSync, writeSync, ftruncateSync, existsSync } from 'node:fs';

const ENTRY_BYTES = 8;

export class OffsetIndex {
  private rel: number[] = [];
  private pos: number[] = [];
  private fd: number;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  /** Opens (creating) the index file and loads its entries; entries beyond `maxPosition` are dropped. */
  static open(path: string): OffsetIndex {
    const idx = new OffsetIndex(path, openSync(path, existsSync(path) ? 'r+' : 'w+'));
    const raw = readFileSync(path);
    const whole = raw.length - (raw.length % ENTRY_BYTES);
    for (let at = 0; at < whole; at += ENTRY_BYTES) {
      idx.rel.push(raw.readInt32BE(at));
      idx.pos.push(raw.readInt32BE(at + 4));
    }
    return idx;
  }

  get entries(): number {
    return this.rel.length;
  }

  lastPosition(): number {
    return this.pos.length === 0 ? 0 : this.pos[this.pos.length - 1]!;
  }

  /** True when entries are strictly increasing and all lie below `size`. */
  isConsistent(size: number): boolean {
    for (let i = 0; i < this.rel.length; i++) {
      if (this.pos[i]! >= size) return false;
      if (i > 0 && (this.rel[i]! <= this.rel[i - 1]! || this.pos[i]! <= this.pos[i - 1]!)) return false;
    }
    return true;
  }

  append(relativeOffset: number, position: number): void {
    const b = Buffer.allocUnsafe(ENTRY_BYTES);
    b.writeInt32BE(relativeOffset, 0);
    b.writeInt32BE(position, 4);
    writeSync(this.fd, b, 0, ENTRY_BYTES, this.rel.length * ENTRY_BYTES);
    this.rel.push(relativeOffset);
    this.pos.push(position);
  }

  /** File position of the last entry whose relative offset is <= `relativeOffset` (0 if none). */
  lookup(relativeOffset: number): number {
    let lo = 0;
    let hi = this.rel.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= relativeOffset) {
        found = this.pos[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops every entry and empties the file (the caller rebuilds it). */
  reset(): void {
    this.rel = [];
    this.pos = [];
    ftruncateSync(this.fd, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}
