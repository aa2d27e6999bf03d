/**
 * Random (version 4) UUIDs for message_id, as flat strings.
 *
 * node:crypto's randomUUID() concatenates 16 two-character hex strings, which
 * V8 keeps as a tree of cons strings until something flattens it. A buffered
 * record then holds about 480 bytes of message_id instead of 56. That was more
 * than half of a v2 trade's heap footprint, and it all had to be copied by
 * every scavenge. Here the hex digits of 1024 UUIDs are made in one native
 * call (from crypto.randomFillSync, as node does); each id is written with its
 * dashes straight into an encoder's output, or into 36 bytes decoded as latin1:
 * a flat, sequential string. Same randomness source, same format and same
 * version/variant bits as randomUUID().
 */
import { randomFillSync } from 'node:crypto';

const BATCH = 1024;
const DASH = 45;
/** hex digits per dash-separated group */
const GROUPS = [8, 4, 4, 4, 12] as const;

const random = Buffer.alloc(16 * BATCH);
/** The hex text (32 characters per id, no dashes) of the current batch. */
const hex = Buffer.alloc(32 * BATCH);
/** Room for one id as text, for newMessageId. */
const scratch = Buffer.alloc(36);
let next = BATCH;

function refill(): void {
  randomFillSync(random);
  for (let r = 0; r < random.length; r += 16) {
    random[r + 6] = (random[r + 6]! & 0x0f) | 0x40; // version 4
    random[r + 8] = (random[r + 8]! & 0x3f) | 0x80; // variant 10xx
  }
  hex.write(random.toString('hex'), 0, 'latin1'); // native: a JS loop per byte costs more here
  next = 0;
}

/** Writes the next id of the batch as 36 ASCII bytes (8-4-4-4-12 hex digits) at buf[pos]. */
function writeNext(buf: Uint8Array, pos: number): void {
  if (next === BATCH) refill();
  let h = next * 32;
  next++;
  // loops: a subarray view per id would be an allocation per record
  let o = pos;
  for (const group of GROUPS) {
    if (o !== pos) buf[o++] = DASH;
    for (let i = 0; i < group; i++) buf[o++] = hex[h++]!;
  }
}

/** A random UUID (RFC 9562 version 4), lower-case, e.g. "3b241101-e2bb-4255-8caf-4136c566a962". */
export function newMessageId(): string {
  writeNext(scratch, 0);
  return scratch.toString('latin1');
}

/**
 * Writes a fresh id, as newMessageId() would return it, as 36 ASCII bytes at buf[pos]
 * (the caller makes room): for an encoder that never needs the id as a string.
 */
export function writeMessageId(buf: Uint8Array, pos: number): void {
  writeNext(buf, pos);
}
