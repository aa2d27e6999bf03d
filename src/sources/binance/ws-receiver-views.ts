/**
 * A leaner `consume` for ws's frame Receiver (ws 8): one Buffer view per payload instead of
 * six Buffers per frame.
 *
 * ws keeps the socket's chunks in a list and reads a frame through `consume(n)`: the 2 header
 * bytes, the 2 or 8 bytes of an extended length, the 4 of a mask, then the payload. Each call
 * made two Buffer views: the n bytes asked for, and the rest of the first chunk (so a frame of
 * a 64 KB read cost six Buffer objects, four of them only to read a few header bytes). On a
 * Binance stream at 100k frames per second that was the largest share of the main thread's
 * garbage after the frames themselves.
 *
 * This `consume` remembers how far into the first chunk it has read instead of re-slicing it,
 * and copies the header reads (the first two bytes and an extended length, made while the
 * receiver is in one of its three header states; ws reads them at once and never keeps them)
 * into a small reused buffer. The payload and the mask are still views of the chunk, or a copy
 * when they span chunks, exactly as before. The patch is applied once, process-wide, only when
 * ws's Receiver has the shape it was written for (read from its source); otherwise ws runs
 * unchanged.
 * test/binance/ws-receiver-views.test.ts compares every event of patched and original receivers
 * on random frame streams cut at random points. See docs/decisions.md.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface ReceiverLike {
  /** ws's parser state: 0-2 while it reads a frame's header (GET_INFO, GET_PAYLOAD_LENGTH_16/64) */
  _state: number;
  _buffers: Buffer[];
  _bufferedBytes: number;
  /** bytes of _buffers[0] already consumed (added by this patch) */
  _k2Offset?: number;
}

type Consume = (this: ReceiverLike, n: number) => Buffer;

const require = createRequire(import.meta.url);
/** Header reads (2 or 8 bytes) are copied here: ws reads them at once and never keeps them. */
const HEADER = Buffer.alloc(8);
const HEADER2 = HEADER.subarray(0, 2);
/** The receiver states in which ws reads header bytes (GET_INFO, GET_PAYLOAD_LENGTH_16, GET_PAYLOAD_LENGTH_64). */
const LAST_HEADER_STATE = 2;

let original: Consume | null = null;
let applied = false;

/** The patched consume: the first `n` buffered bytes, without re-slicing the first chunk. */
function consume(this: ReceiverLike, n: number): Buffer {
  this._bufferedBytes -= n;
  const buffers = this._buffers;
  let head = buffers[0]!;
  let offset = this._k2Offset ?? 0;
  const available = head.length - offset;
  if (this._state <= LAST_HEADER_STATE && (n === 2 || n === 8) && n <= available) {
    const out = n === 2 ? HEADER2 : HEADER;
    for (let i = 0; i < n; i++) out[i] = head[offset + i]!;
    advance(this, head, offset + n);
    return out;
  }
  if (n <= available) {
    const out = head.subarray(offset, offset + n);
    advance(this, head, offset + n);
    return out;
  }
  // spans chunks: a copy, as ws makes
  const dst = Buffer.allocUnsafe(n);
  let filled = 0;
  while (filled < n) {
    const take = Math.min(head.length - offset, n - filled);
    dst.set(head.subarray(offset, offset + take), filled);
    filled += take;
    advance(this, head, offset + take);
    head = buffers[0]!;
    offset = this._k2Offset ?? 0;
  }
  return dst;
}

/** Marks the first chunk read up to `to`, dropping it once it is read in full. */
function advance(r: ReceiverLike, head: Buffer, to: number): void {
  if (to === head.length) {
    r._buffers.shift();
    r._k2Offset = 0;
  } else r._k2Offset = to;
}

/**
 * Whether ws's receiver module reads frames as this patch assumes: the header states numbered
 * 0-2, header bytes read only by the three header readers (2, 2 and 8 bytes), and `_buffers`
 * touched only by the constructor, `_write` and `consume`.
 */
function hasExpectedShape(moduleSource: string, consumeSource: string): boolean {
  if (!/const GET_INFO = 0;\s*const GET_PAYLOAD_LENGTH_16 = 1;\s*const GET_PAYLOAD_LENGTH_64 = 2;\s*const GET_MASK = 3;\s*const GET_DATA = 4;/.test(moduleSource)) return false;
  if (!consumeSource.includes('this._bufferedBytes -= n') || !moduleSource.includes(consumeSource)) return false;
  const rest = moduleSource.replace(consumeSource, '');
  const count = (text: string): number => rest.split(text).length - 1;
  if (count('this.consume(2)') !== 2 || count('this.consume(8)') !== 1 || count('this.consume(') !== 5) return false;
  if (!rest.includes('const buf = this.consume(2);') || !rest.includes('this._payloadLength = this.consume(2).readUInt16BE(0);')) return false;
  if (!rest.includes('const buf = this.consume(8);') || !rest.includes('this._mask = this.consume(4);')) return false;
  const uses = rest.match(/[^\n]*_buffers[^\n]*/g) ?? [];
  const allowed = ['this._buffers = [];', 'this._buffers.push(chunk);', 'this._buffers.length >= this._maxBufferedChunks'];
  return uses.every((line) => allowed.some((a) => line.includes(a)));
}

/** ws's original consume (for tests that compare both), or null when the patch is not applied. */
export function originalWsConsume(): Consume | null {
  return original;
}

/**
 * Installs the patched consume on ws's Receiver; true when it is in place. Applied only when
 * the Receiver keeps its chunks in `_buffers` and reads frames through `consume` as ws 8 does.
 */
export function applyWsReceiverViews(): boolean {
  if (applied) return true;
  try {
    const Receiver = (require('ws') as { Receiver: { prototype: Record<string, unknown> } }).Receiver;
    const proto = Receiver.prototype;
    const current = proto.consume;
    if (typeof current !== 'function') return false;
    if (!hasExpectedShape(readFileSync(join(dirname(require.resolve('ws/package.json')), 'lib', 'receiver.js'), 'utf8'), String(current))) return false;
    original = current as Consume;
    proto.consume = consume;
    applied = true;
  } catch {
    applied = false;
  }
  return applied;
}
