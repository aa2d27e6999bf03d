import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/broker/protocol/error-codes.js';
import { startTestBroker, type TestBroker } from './support/broker-fixture.js';
import { buildBatch, parseProduceResponse, produceBody } from './support/batch-builder.js';
import { RawClient, frame } from './support/raw-client.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await tb.stop();
});

const port = (): number => tb.broker.listenPort;
const batchOf = (n: number, tag: string): Buffer => buildBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}` })) });

describe('Produce requests overlapping on one connection', () => {
  it('appends in request order and answers in request order, with other requests in between', async () => {
    const c = await RawClient.open(port());
    const sizes = Array.from({ length: 30 }, (_, i) => 1 + (i % 4));
    // All requests go out back to back, before any response: the broker sees them queued together.
    const responses = sizes.map((n, i) =>
      i === 12
        ? c.request(3, 4, 1000 + i, Buffer.from([0xff, 0xff, 0xff, 0xff, 0])) // Metadata (all topics) in the middle
        : c.request(0, 7, 1000 + i, produceBody('pipelined', 0, batchOf(n, `r${i}`))),
    );
    const frames = await Promise.all(responses);
    expect(frames.map((f) => f.readInt32BE(0))).toEqual(sizes.map((_, i) => 1000 + i));
    let next = 0n;
    frames.forEach((f, i) => {
      if (i === 12) return;
      const r = parseProduceResponse(f);
      expect(r.error, `request ${i}`).toBe(ErrorCode.NONE);
      expect(r.baseOffset, `request ${i}`).toBe(next);
      next += BigInt(sizes[i]!);
    });
    // and the log ends right after them
    expect(parseProduceResponse(await c.request(0, 7, 2000, produceBody('pipelined', 0, batchOf(1, 'last'))))).toEqual({ error: ErrorCode.NONE, baseOffset: next });
    c.close();
  });

  it('starts nothing after a malformed Produce frame queued in front of a valid one', async () => {
    const bad = await RawClient.open(port());
    // Produce v7 whose topic array claims 5 topics but carries none, then a valid Produce, in one write.
    const malformed = frame(0, 7, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x10, 0, 0, 0, 5]));
    const valid = frame(0, 7, 2, produceBody('after-malformed', 0, batchOf(3, 'x')));
    bad.write(Buffer.concat([malformed, valid]));
    await bad.closed;
    expect(tb.logs.join('\n')).toMatch(/closing connection: malformed request/);
    // The valid request behind it was never applied: a fresh produce lands at offset 0.
    const ok = await RawClient.open(port());
    const r = parseProduceResponse(await ok.request(0, 7, 3, produceBody('after-malformed', 0, batchOf(2, 'y'))));
    expect(r).toEqual({ error: ErrorCode.NONE, baseOffset: 0n });
    ok.close();
  });
});
