/**
 * Random (version 4) UUIDs for message_id, as flat strings.
 *
 * node:crypto's randomUUID() concatenates 16 two-character hex strings, which
 * V8 keeps as a tree of cons strings until something flattens it. A buffered
 * record then holds about 480 bytes of message_id instead of 56. That was more
 * than half of a v2 trade's heap footprint, and it all had to be copied by
 * every scavenge. Here the hex text of 1024 UUIDs is written into one buffer
 * (from crypto.randomFillSync, as node does) and each id is one latin1 decode
 * of 36 bytes: a flat, sequential string. Same randomness source, same format
 * and same version/variant bits as randomUUID().
 */
import { randomFillSync } from 'node:crypto';

const BATCH = 1024;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 45;

const random = Buffer.alloc(16 * BATCH);
const text = Buffer.alloc(36 * BATCH);
let next = BATCH;

function refill(): void {
  randomFillSync(random);
  let o = 0;
  for (let i = 0; i < BATCH; i++) {
    const r = i * 16;
    random[r + 6] = (random[r + 6]! & 0x0f) | 0x40; // version 4
    random[r + 8] = (random[r + 8]! & 0x3f) | 0x80; // variant 10xx
    for (let j = 0; j < 16; j++) {
      if (j === 4 || j === 6 || j === 8 || j === 10) text[o++] = DASH;
      const b = random[r + j]!;
      text[o++] = HEX[b >> 4]!;
      text[o++] = HEX[b & 15]!;
    }
  }
  next = 0;
}

/** A random UUID (RFC 9562 version 4), lower-case, e.g. "3b241101-e2bb-4255-8caf-4136c566a962". */
export function newMessageId(): string {
  if (next === BATCH) refill();
  const start = next * 36;
  next++;
  return text.toString('latin1', start, start + 36);
}

/**
 * Writes a fresh id, as newMessageId() would return it, as 36 ASCII bytes at buf[pos]
 * (the caller makes room): for an encoder that never needs the id as a string.
 */
export function writeMessageId(buf: Uint8Array, pos: number): void {
  if (next === BATCH) refill();
  const start = next * 36;
  next++;
  // a loop: a subarray view per id would be an allocation per record
  for (let i = 0; i < 36; i++) buf[pos + i] = text[start + i]!;
}
