import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { prng } from '../support/prng.js';
import { toBusMessage } from '../../src/bus/bus-message.js';
import '../../src/bus/kafka-client.js';
import { originalRecordEncoding, type RecordArgs, type RecordBatchArgs } from '../../src/bus/kafkajs-fast-record-batch.js';
import { createFastRecordBatchDecoder, fastRecordBatchDecoderApplied, originalRecordBatchDecoder, type KafkaDecoder, type RecordBatchDecoderFn } from '../../src/bus/kafkajs-fast-record-batch-decoder.js';

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => KafkaDecoder;
const patchedDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as RecordBatchDecoderFn;


type Message = RecordArgs & { timestamp?: number };

function randomMessages(rand: () => number): { messages: Message[]; now: number } {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const str = (n: number): string => Array.from({ length: n }, () => pick(['a', 'Z', '9', 'é', '€', '𝄞', ' '])).join('');
  const now = pick([0, 1_700_000_000_000, 2 ** 40]);
  const count = pick([0, 1, 2, 5, 40, 120]);
  const messages = Array.from({ length: count }, (): Message => {
    const m: Message = {
      key: pick<Buffer | string | null>([null, bytes(pick([0, 3, 16])), str(pick([0, 4, 40]))]),
      value: pick<Buffer | string | null>([bytes(pick([0, 1, 100, 127, 128, 700])), str(pick([0, 20])), null]),
    };
    if (rand() < 0.4) {
      const headers: Record<string, Buffer | string | Array<Buffer | string>> = {};
      for (let i = 0; i < pick([0, 1, 3]); i++) headers[pick(['h', 'x-id', str(3), '1', '0'])] = pick<Buffer | string | Array<Buffer | string>>([str(5), bytes(pick([0, 10])), [str(2), bytes(4), 'z'], []]);
      m.headers = headers;
    }
    const ts = pick([undefined, now, now + Math.floor(rand() * 100_000), now - Math.floor(rand() * 5_000), now + 2 ** 33, now + 2 ** 51]);
    if (ts !== undefined) m.timestamp = ts;
    return m;
  });
  return { messages, now };
}

/** One RecordBatch v2, encoded by kafkajs's own Record/RecordBatch. */
async function encodeBatch(messages: Message[], now: number, extra: Partial<RecordBatchArgs>): Promise<Buffer> {
  const { Record, RecordBatch } = originalRecordEncoding()!;
  const stamps = messages.map((m) => m.timestamp).filter((t): t is number => t != null).sort();
  const timestamps = stamps.length === 0 ? [now] : stamps;
  const first = timestamps[0]!;
  const records = messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: (m.timestamp || now) - first }));
  const batch = await RecordBatch({ records, firstTimestamp: first, maxTimestamp: timestamps[timestamps.length - 1], lastOffsetDelta: records.length - 1, ...extra });
  return (batch as unknown as { buffer: Buffer }).buffer;
}

/** A JSON form that keeps key order, value types and Buffer identity-free contents, for exact comparison. */
function canonical(x: unknown): string {
  return JSON.stringify(x, function (this: unknown, _k, v: unknown) {
    if (v === undefined) return '<undefined>';
    // JSON.stringify has already called Buffer#toJSON; recognise its output
    if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return `<buf ${Buffer.from((v as { data: number[] }).data).toString('hex')}>`;
    return v;
  });
}

/** kafkajs's fetch/v4/decodeMessages loop over a record set, with a given batch decoder. */
async function decodeAll(decode: RecordBatchDecoderFn, set: Buffer): Promise<string> {
  const d = new Decoder(set);
  const batches: unknown[] = [];
  try {
    while (d.buffer.length - d.offset >= 49) {
      try {
        batches.push(await decode(d));
      } catch (e) {
        if ((e as Error).name === 'KafkaJSPartialMessageError') {
          batches.push({ partial: (e as Error).message });
          break;
        }
        throw e;
      }
    }
  } catch (e) {
    return `error ${(e as Error).name}: ${(e as Error).message}`;
  }
  for (const b of batches) for (const r of (b as { records?: Array<{ key: unknown; value: unknown }> }).records ?? []) {
    if (r.key !== null && !Buffer.isBuffer(r.key)) throw new Error('key is not a Buffer');
    if (r.value !== null && !Buffer.isBuffer(r.value)) throw new Error('value is not a Buffer');
  }
  const readable = batches.map((b) => {
    const records = (b as { records?: Array<Record<string, unknown>> }).records;
    return records === undefined ? b : { ...(b as Record<string, unknown>), records: records.map(asRead) };
  });
  return `${batches.length} batches, end ${d.offset}: ${canonical(readable)}`;
}

/** kafkajs's record fields, in kafkajs's order. */
const RECORD_FIELDS = ['magicByte', 'attributes', 'timestamp', 'offset', 'key', 'value', 'headers', 'isControlRecord', 'batchContext'] as const;

/** A record as code reads it: every kafkajs field, read through the object (own or getter), in kafkajs's order. */
function asRead(r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(RECORD_FIELDS.map((f) => [f, r[f]]));
}

describe('kafkajs fast RecordBatch decoding', () => {
  const original = originalRecordBatchDecoder()!;
  const fast = createFastRecordBatchDecoder(original);

  it('is applied when the bus loads kafkajs', () => {
    expect(fastRecordBatchDecoderApplied).toBe(true);
    expect(original).not.toBeNull();
    expect(patchedDecoder).not.toBe(original);
    // the fetch response module binds the patched decoder
    expect(typeof require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js')).toBe('function');
  });

  it('decodes random record sets exactly like kafkajs (gzip, headers, nulls, flags, big offsets, partial tail)', async () => {
    const rand = prng(2024);
    let fastBatches = 0;
    for (let n = 0; n < 250; n++) {
      const parts: Buffer[] = [];
      const nBatches = 1 + Math.floor(rand() * 4);
      for (let b = 0; b < nBatches; b++) {
        const { messages, now } = randomMessages(rand);
        const batch = await encodeBatch(messages, now, {
          compression: rand() < 0.25 ? 1 : 0,
          producerId: rand() < 0.3 ? 4242 : -1,
          producerEpoch: 3,
          firstSequence: Math.floor(rand() * 1000),
          transactional: rand() < 0.1,
        });
        // broker-assigned base offset, sometimes beyond 2^53
        batch.writeBigInt64BE(rand() < 0.1 ? 2n ** 60n + BigInt(n) : BigInt(Math.floor(rand() * 1e12)), 0);
        // timestamp type LOG_APPEND_TIME and control flag on some batches (kafkajs does not check the CRC)
        const attrs = batch.readInt16BE(21);
        if (rand() < 0.15) batch.writeInt16BE(attrs | 0x08, 21);
        if (rand() < 0.05) batch.writeInt16BE(batch.readInt16BE(21) | 0x20, 21);
        parts.push(batch);
      }
      let set = Buffer.concat(parts);
      if (rand() < 0.3) set = set.subarray(0, set.length - 1 - Math.floor(rand() * Math.min(200, set.length - 1)));
      const expected = await decodeAll(original, set);
      const actual = await decodeAll(fast, set);
      expect(actual === expected, `set ${n}: ${actual.slice(0, 300)} vs ${expected.slice(0, 300)}`).toBe(true);
      fastBatches += expected.startsWith('error') ? 0 : Number(expected.split(' ')[0]);
    }
    expect(fastBatches).toBeGreaterThan(300);
  });

  it('produces the same fields and types as kafkajs for an ordinary batch', async () => {
    const batch = await encodeBatch([{ key: 'k', value: 'v', headers: { a: 'x', b: ['1', '2'] }, timestamp: 1000 }, { key: null, value: null, timestamp: 1007 }], 0, {});
    batch.writeBigInt64BE(500n, 0);
    const got = (await fast(new Decoder(batch))) as unknown as { records: Array<Record<string, unknown>> } & Record<string, unknown>;
    expect(Object.keys(got)).toEqual(['firstOffset', 'firstTimestamp', 'partitionLeaderEpoch', 'inTransaction', 'isControlBatch', 'lastOffsetDelta', 'producerId', 'producerEpoch', 'firstSequence', 'maxTimestamp', 'timestampType', 'records']);
    const [r0, r1] = got.records;
    // the same fields, read through the record (offset, key and value are getters), with kafkajs's types
    const kafkajs = (await original(new Decoder(batch))).records[0]! as unknown as Record<string, unknown>;
    expect(Object.keys(kafkajs)).toEqual([...RECORD_FIELDS]);
    for (const f of RECORD_FIELDS) expect(typeof r0![f], f).toBe(typeof kafkajs[f]);
    expect(Buffer.isBuffer(r0!.key) && Buffer.isBuffer(r0!.value)).toBe(true);
    expect(r0).toMatchObject({ magicByte: 2, attributes: 0, timestamp: '1000', offset: '500', key: Buffer.from('k'), value: Buffer.from('v'), isControlRecord: false });
    expect(r0!.headers).toEqual({ a: Buffer.from('x'), b: [Buffer.from('1'), Buffer.from('2')] });
    expect(r1).toMatchObject({ timestamp: '1007', offset: '501', key: null, value: null, headers: {} });
    expect(r0!.batchContext).toBe(r1!.batchContext);
    expect(r0!.batchContext).toStrictEqual({ ...(await original(new Decoder(batch))).records[0]!.batchContext });
  });

  it('lets a bus reader find each value in the fetched bytes without a Buffer per message', async () => {
    const values = [Buffer.from('first value'), null, Buffer.alloc(0), Buffer.alloc(300, 9)];
    const batch = await encodeBatch(values.map((value, i) => ({ key: `k${i}`, value })), 0, {});
    const got = (await fast(new Decoder(batch))) as unknown as { records: KafkaMessage[] };
    expect(got.records).toHaveLength(values.length);
    got.records.forEach((r, i) => {
      const m = toBusMessage(r);
      if (values[i] === null) expect(m.valueBuffer).toBeNull();
      else {
        expect(m.valueBuffer).not.toBe(m.value); // the fetch's buffer, not a view made for the message
        expect(m.valueBuffer!.subarray(m.valueStart, m.valueEnd).equals(values[i]!), `value ${i}`).toBe(true);
        expect(m.valueEnd - m.valueStart).toBe(values[i]!.length);
      }
    });
    // a message kafkajs decoded itself: its value is the buffer
    const own = toBusMessage({ key: null, value: Buffer.from('abc'), offset: '7', timestamp: '1', attributes: 0, headers: {} } as KafkaMessage);
    expect([own.valueBuffer?.toString(), own.valueStart, own.valueEnd]).toEqual(['abc', 0, 3]);
    const none = toBusMessage({ key: null, value: null, offset: '8', timestamp: '1', attributes: 0, headers: {} } as KafkaMessage);
    expect([none.valueBuffer, none.valueStart, none.valueEnd]).toEqual([null, 0, 0]);
  });

  it('falls back to kafkajs on malformed batches with the same result or error', async () => {
    const rand = prng(99);
    const corruptions: Array<(b: Buffer) => void> = [
      (b) => b.writeInt32BE(b.readInt32BE(57) + 1, 57), // one record more than present
      (b) => b.writeInt32BE(Math.max(0, b.readInt32BE(57) - 1), 57), // one record fewer
      (b) => b.writeInt32BE(-1, 57), // null record array
      (b) => b.writeInt8(1, 16), // magic 1 inside a v2 record set
      (b) => b.writeInt16BE(b.readInt16BE(21) | 0x02, 21), // snappy: not implemented in kafkajs
      (b) => b.writeInt32BE(b.readInt32BE(8) - 1 - Math.floor(rand() * 20), 8), // batch length shorter than its records
      (b) => (b[61] = Math.floor(rand() * 64) * 2), // first record length changed (small positive varint)
      (b) => (b[61] = 3), // first record length -2
      (b) => (b[61] = 0), // empty first record
      (b) => b.writeBigInt64BE(-5n, 0), // negative base offset
      (b) => b.writeBigInt64BE(-(2n ** 63n), 27), // firstTimestamp at the int64 minimum
    ];
    for (let n = 0; n < 300; n++) {
      const { messages, now } = randomMessages(rand);
      const batch = await encodeBatch(messages.length === 0 ? [{ key: 'a', value: 'b' }] : messages.slice(0, 20), now, { compression: rand() < 0.1 ? 1 : 0 });
      const which = n % corruptions.length;
      corruptions[which]!(batch);
      const expected = await decodeAll(original, batch);
      const actual = await decodeAll(fast, batch);
      expect(actual === expected, `corruption ${which} (${n}): ${actual.slice(0, 300)} vs ${expected.slice(0, 300)}`).toBe(true);
    }
  });
});
