/**
 * What lets a re-homed `k2 stream binance` send batches sealed before the move as they are:
 * the data dir's schema registry, restarted (by another process, on another port), gives the
 * v2 schemas the ids it gave them before, whatever order they are asked for in.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaRegistryClient } from '../../src/bus/schema-registry-client.js';
import { SchemaRegistryServer } from '../../src/broker/registry/schema-registry-server.js';
import { silentLogger } from '../../src/log/logger.js';
import { topicName, valueSubject } from '../../src/model/topics.js';
import { v2SchemaString } from '../../src/schema/v2-schemas.js';
import { tempDir } from '../support/tmp.js';

describe('the data dir schema registry across a restart', () => {
  const dir = tempDir('k2-rehome-ids-');
  afterAll(() => dir.cleanup());

  it('returns the same ids for the stream topics', async () => {
    const trades = valueSubject(topicName('crypto', 'trades', 'binance'));
    const quotes = valueSubject(topicName('crypto', 'quotes', 'binance'));
    const first = await SchemaRegistryServer.start({ dataDir: dir.path, port: 0, logger: silentLogger });
    const c1 = new SchemaRegistryClient(first.url);
    // another subject first, so that the ids are not simply 1 and 2
    await c1.register(valueSubject(topicName('equities', 'trades', 'asx')), v2SchemaString('trades'));
    const before = { quotes: await c1.register(quotes, v2SchemaString('quotes')), trades: await c1.register(trades, v2SchemaString('trades')) };
    await first.close();

    const second = await SchemaRegistryServer.start({ dataDir: dir.path, port: 0, logger: silentLogger });
    try {
      const c2 = new SchemaRegistryClient(second.url);
      // asked in the other order, by a fresh client
      const after = { trades: await c2.register(trades, v2SchemaString('trades')), quotes: await c2.register(quotes, v2SchemaString('quotes')) };
      expect(after).toEqual(before);
    } finally {
      await second.close();
    }
  });
});
