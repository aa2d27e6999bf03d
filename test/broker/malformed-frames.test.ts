import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/broker/protocol/error-codes.js';
import { startTestBroker, type TestBroker } from './support/broker-fixture.js';
import { RawClient, frame } from './support/raw-client.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker({ maxFrameBytes: 1024 * 1024 });
});
afterAll(async () => {
  await tb.stop();
});

const port = (): number => tb.broker.listenPort;

async function metadataWorks(): Promise<void> {
  const ok = await RawClient.open(port());
  const res = await ok.request(3, 4, 99, Buffer.from([0xff, 0xff, 0xff, 0xff, 0]));
  expect(res.readInt32BE(0)).toBe(99);
  ok.close();
}

describe('broker robustness against bad frames', () => {
  it('closes only the offending connection on a truncated request body, with a log line', async () => {
    const bystander = await RawClient.open(port());
    const bad = await RawClient.open(port());
    // A Metadata v4 request whose topic array claims 5 topics but carries none.
    bad.write(frame(3, 4, 1, Buffer.from([0, 0, 0, 5])));
    await bad.closed;
    expect(tb.logs.join('\n')).toMatch(/closing connection: malformed request/);
    const res = await bystander.request(18, 2, 7, Buffer.alloc(0));
    expect(res.readInt32BE(0)).toBe(7);
    expect(res.readInt16BE(4)).toBe(0);
    bystander.close();
    await metadataWorks();
  });

  it('refuses a frame over the size limit and a negative size', async () => {
    const big = await RawClient.open(port());
    const head = Buffer.alloc(4);
    head.writeInt32BE(64 * 1024 * 1024);
    big.write(head);
    await big.closed;
    expect(tb.logs.join('\n')).toMatch(/exceeds the 1048576-byte limit/);
    const neg = await RawClient.open(port());
    neg.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    await neg.closed;
    expect(tb.logs.join('\n')).toMatch(/invalid frame size -16/);
    await metadataWorks();
  });

  it('answers the smallest requests: ApiVersions with a null or one-character client id (10 and 11 bytes)', async () => {
    const c = await RawClient.open(port());
    const nullClient = Buffer.from([0, 0, 0, 10, 0, 18, 0, 2, 0, 0, 0, 21, 0xff, 0xff]);
    const oneChar = frame(18, 2, 22, Buffer.alloc(0), 'f');
    expect(oneChar.readInt32BE(0)).toBe(11);
    for (const [req, id] of [[nullClient, 21], [oneChar, 22]] as const) {
      const reply = Promise.race([
        new Promise<Buffer>((resolve) => c.socket.once('data', (d: Buffer) => resolve(d))),
        c.closed.then(() => Promise.reject(new Error(`the broker closed the connection on request ${id}`))),
      ]);
      c.write(req);
      const res = await reply;
      expect(res.readInt32BE(4)).toBe(id);
      expect(res.readInt16BE(8)).toBe(0);
    }
    c.close();
    // nine bytes cannot hold a header: refused
    const short = await RawClient.open(port());
    short.write(Buffer.from([0, 0, 0, 9, 0, 18, 0, 2, 0, 0, 0, 23, 0xff]));
    await short.closed;
    expect(tb.logs.join('\n')).toMatch(/invalid frame size 9/);
  });

  it('answers unsupported APIs and versions with an error instead of disconnecting', async () => {
    const c = await RawClient.open(port());
    // ApiVersions v9: answered in v0 layout with UNSUPPORTED_VERSION and its own range.
    const av = await c.request(18, 9, 1, Buffer.alloc(0));
    expect(av.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect([av.readInt32BE(6), av.readInt16BE(10), av.readInt16BE(12), av.readInt16BE(14)]).toEqual([1, 18, 0, 3]);
    // An API this broker does not implement (ElectLeaders, key 43).
    const el = await c.request(43, 0, 2, Buffer.alloc(8));
    expect([el.readInt32BE(0), el.readInt16BE(4)]).toEqual([2, ErrorCode.UNSUPPORTED_VERSION]);
    // SaslHandshake on a PLAINTEXT listener.
    const sasl = await c.request(17, 1, 3, Buffer.from([0, 5, 80, 76, 65, 73, 78]));
    expect(sasl.readInt16BE(4)).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    // The connection is still usable.
    const ok = await c.request(18, 2, 4, Buffer.alloc(0));
    expect(ok.readInt16BE(4)).toBe(0);
    c.close();
    expect(tb.logs.join('\n')).toMatch(/unsupported API or version apiKey=43/);
  });

  it('answers ApiVersions v3 (flexible) the way librdkafka expects', async () => {
    const c = await RawClient.open(port());
    // header v2: client id then an empty tag buffer; body: two compact strings + tags
    const body = Buffer.from([0, 3, 0x6c, 0x69, 0x62, 0x72, 0x64, 0x6b, 0x61, 0x66, 0x6b, 0x61, 6, 0x32, 0x2e, 0x30, 0x2e, 0x32, 0]);
    body.writeUInt8(11, 1); // "librdkafka" = 10 bytes -> compact length 11
    const req = Buffer.concat([Buffer.from([0]), body.subarray(1)]);
    const res = await c.request(18, 3, 5, req);
    expect(res.readInt16BE(4)).toBe(0);
    expect(res.readUInt8(6)).toBe(18); // compact array: 17 APIs + 1
    c.close();
  });
});
