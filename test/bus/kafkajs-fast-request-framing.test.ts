/**
 * The request framing patch (kafkajs protocol/request.js): the same bytes as kafkajs's own
 * framing, for fast Produce bodies (framed in place, in the room reserved before them) and
 * for every other request (framed by one copy).
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../../src/bus/kafka-client.js';
import { fastRequestFramingApplied, originalCreateRequest, type CreateRequestFn, type ProduceRequestArgs, type ProduceRequestFn } from '../../src/bus/kafkajs-fast-produce-request.js';
import { prng } from '../support/prng.js';

const require = createRequire(import.meta.url);
const produceV7 = require('kafkajs/src/protocol/requests/produce/v7/request.js') as ProduceRequestFn;
const metadataV0 = require('kafkajs/src/protocol/requests/metadata/v0/request.js') as (args: { topics: string[] }) => Parameters<CreateRequestFn>[0]['request'];

describe('kafkajs request framing without copies', () => {
  const original = originalCreateRequest()!;
  const patched = require('kafkajs/src/protocol/request.js') as CreateRequestFn;
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is applied when the bus loads kafkajs', () => {
    expect(fastRequestFramingApplied).toBe(true);
    expect(patched).not.toBe(original);
  });

  it('frames random Produce requests and other requests byte for byte like kafkajs', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_123);
    const rand = prng(21);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    for (let n = 0; n < 120; n++) {
      const clientId = pick<string | null | undefined>(['k2-producer', '', null, undefined, 'klïent-€', 'c'.repeat(300)]);
      const correlationId = Math.floor(rand() * 2 ** 31);
      let request: Parameters<CreateRequestFn>[0]['request'];
      if (rand() < 0.7) {
        const args: ProduceRequestArgs = {
          acks: -1,
          timeout: 30000,
          topicData: [{ topic: 'market.equities.trades.asx', partitions: [{ partition: 0, firstSequence: n, messages: Array.from({ length: pick([0, 1, 50]) }, () => ({ key: Buffer.from('BHP'), value: Buffer.alloc(Math.floor(rand() * 200), n) })) }] }],
        };
        request = produceV7(args);
      } else {
        request = metadataV0({ topics: Array.from({ length: pick([0, 2]) }, (_, i) => `t${i}-${n}`) });
      }
      const expected = (await original({ correlationId, clientId, request })).buffer;
      const framed = await patched({ correlationId, clientId, request });
      expect(framed.buffer.equals(expected), `request ${n}`).toBe(true);
      expect(framed.size()).toBe(expected.length);
    }
  });

  it('fails like kafkajs when the body cannot be encoded', async () => {
    const request = produceV7({ acks: -1, timeout: 100, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 5 }] }] }] });
    await expect(original({ correlationId: 1, clientId: 'c', request })).rejects.toThrow();
    await expect(patched({ correlationId: 1, clientId: 'c', request })).rejects.toThrow();
  });
});
