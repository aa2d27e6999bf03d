/**
 * ws's Receiver with k2's leaner consume (ws-receiver-views.ts) against ws's own consume, on
 * the same random frame streams cut into random chunks: every event (messages with their
 * bytes and type, pings, pongs, closes, errors) must be the same, in the same order.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { applyWsReceiverViews, originalWsConsume } from '../../src/sources/binance/ws-receiver-views.js';
import { prng } from '../support/prng.js';

type Rand = () => number;

interface ReceiverLike {
  write(chunk: Buffer): boolean;
  on(event: string, listener: (...args: unknown[]) => void): void;
  consume?: unknown;
}
// ws's Receiver class (exported by the package, not declared by @types/ws)
const Receiver = (createRequire(import.meta.url)('ws') as { Receiver: new (opts: object) => ReceiverLike }).Receiver;

/** One frame: FIN, opcode, optional mask, payload length in the shortest (or a forced longer) form. */
function frame(rand: Rand, opcode: number, payload: Buffer, fin: boolean, masked: boolean): Buffer {
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  const n = payload.length;
  const form = n < 126 ? (rand() < 0.1 ? 126 : 0) : n < 65536 ? (rand() < 0.1 ? 127 : 126) : 127;
  const maskBit = masked ? 0x80 : 0;
  if (form === 0) head.push(maskBit | n);
  else if (form === 126) head.push(maskBit | 126, n >> 8, n & 255);
  else head.push(maskBit | 127, 0, 0, 0, 0, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const mask = Buffer.from([rand() * 256, rand() * 256, rand() * 256, rand() * 256].map(Math.floor));
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

const SIZES = [0, 1, 2, 3, 4, 7, 8, 9, 125, 126, 127, 300, 65535, 65536, 70000];

function payloadOf(rand: Rand, text: boolean): Buffer {
  const n = rand() < 0.7 ? SIZES[Math.floor(rand() * SIZES.length)]! : Math.floor(rand() * 2000);
  if (!text) return Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const chars = ['a', 'b', '{', '"', ':', ',', '0', '9', 'é', '€', '𝔘'].map((c) => Buffer.from(c));
  const parts: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const c = chars[Math.floor(rand() * chars.length)]!;
    parts.push(c);
    length += c.length;
  }
  return Buffer.concat(parts);
}

/** A stream of frames: whole and fragmented messages with control frames between fragments, ending in a close. */
function stream(rand: Rand, masked: boolean): Buffer {
  const frames: Buffer[] = [];
  const control = (): void => {
    const op = rand() < 0.5 ? 0x9 : 0xa; // ping, pong
    frames.push(frame(rand, op, payloadOf(rand, false).subarray(0, Math.floor(rand() * 126)), true, masked));
  };
  const count = 1 + Math.floor(rand() * 40);
  for (let m = 0; m < count; m++) {
    const text = rand() < 0.7;
    if (rand() < 0.2) control();
    const payload = payloadOf(rand, text);
    if (rand() < 0.75 || payload.length < 2) frames.push(frame(rand, text ? 0x1 : 0x2, payload, true, masked));
    else {
      const cut = 1 + Math.floor(rand() * (payload.length - 1));
      frames.push(frame(rand, text ? 0x1 : 0x2, payload.subarray(0, cut), false, masked));
      if (rand() < 0.5) control();
      frames.push(frame(rand, 0x0, payload.subarray(cut), true, masked));
    }
  }
  if (rand() < 0.8) frames.push(frame(rand, 0x8, Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), true, masked));
  return Buffer.concat(frames);
}

/** Cuts bytes into chunks of 1 byte to a few KB (each chunk its own Buffer, as sockets deliver them). */
function chunks(rand: Rand, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const r = rand();
    const n = r < 0.2 ? 1 + Math.floor(rand() * 3) : r < 0.9 ? 1 + Math.floor(rand() * 4096) : 1 + Math.floor(rand() * 80_000);
    out.push(Buffer.from(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

/** Every event a receiver emits for the chunks, with copies of its bytes. */
async function eventsOf(pieces: Buffer[], opts: { isServer: boolean; maxPayload: number }, consume: unknown): Promise<string[]> {
  const r = new Receiver({ isServer: opts.isServer, maxPayload: opts.maxPayload, binaryType: 'nodebuffer', allowSynchronousEvents: true });
  if (consume !== undefined) r.consume = consume;
  const events: string[] = [];
  const hex = (b: unknown): string => (Buffer.isBuffer(b) ? b.toString('hex') : String(b));
  r.on('message', (data, isBinary) => events.push(`message ${String(isBinary)} ${hex(data)}`));
  r.on('ping', (data) => events.push(`ping ${hex(data)}`));
  r.on('pong', (data) => events.push(`pong ${hex(data)}`));
  r.on('conclude', (code, reason) => events.push(`conclude ${String(code)} ${hex(reason)}`));
  r.on('error', (err) => events.push(`error ${(err as Error & { code?: string }).code ?? ''} ${(err as Error).message}`));
  for (const p of pieces) {
    if (events.some((e) => e.startsWith('error') || e.startsWith('conclude'))) break;
    r.write(Buffer.from(p)); // each receiver gets its own copy: unmasking writes in place
  }
  await new Promise((resolve) => setImmediate(resolve)); // a stream error is emitted on a later tick
  return events;
}

describe("ws's receiver with k2's consume", () => {
  it('is applied to the installed ws', () => {
    expect(applyWsReceiverViews()).toBe(true);
    expect(originalWsConsume()).toBeTypeOf('function');
  });

  it('emits exactly what ws emits, on random streams cut at random points (client and server side)', async () => {
    applyWsReceiverViews();
    const original = originalWsConsume()!;
    const rand = prng(20261122);
    let messages = 0;
    let errors = 0;
    for (let round = 0; round < 300; round++) {
      const isServer = round % 2 === 1; // a server reads masked frames
      const bytes = stream(rand, isServer);
      const pieces = chunks(rand, bytes);
      const opts = { isServer, maxPayload: round % 10 === 0 ? 4096 : 0 };
      const patched = await eventsOf(pieces, opts, undefined);
      const theirs = await eventsOf(pieces, opts, original);
      expect(patched).toEqual(theirs);
      messages += theirs.filter((e) => e.startsWith('message')).length;
      errors += theirs.filter((e) => e.startsWith('error')).length;
    }
    expect(messages).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(10); // maxPayload and the close frame's effects are compared too
  });

  it('reports the same errors for malformed frames', async () => {
    applyWsReceiverViews();
    const original = originalWsConsume()!;
    const bad = [
      Buffer.from([0x81 | 0x20, 0x01, 0x61]), // RSV2 set
      Buffer.from([0x83, 0x00]), // reserved opcode
      Buffer.from([0x09, 0x00]), // a fragmented ping
      Buffer.from([0x89, 0x7e, 0x00, 0x7e, ...Buffer.alloc(126)]), // control frame over 125 bytes
      Buffer.from([0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x61]), // length beyond 2^53
      Buffer.from([0x81, 0x02, 0xc3, 0x28]), // invalid UTF-8
      Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61]), // a masked frame to a client
    ];
    for (const bytes of bad) {
      for (const cut of [1, 2, 3, 5, bytes.length]) {
        const pieces = [bytes.subarray(0, cut), bytes.subarray(cut)].filter((p) => p.length > 0);
        const opts = { isServer: false, maxPayload: 0 };
        const patched = await eventsOf(pieces, opts, undefined);
        expect(patched).toEqual(await eventsOf(pieces, opts, original));
        expect(patched.some((e) => e.startsWith('error')), `${bytes.toString('hex')} cut ${cut}: ${patched.join('; ')}`).toBe(true);
      }
    }
  });
});
