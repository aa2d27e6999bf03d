/**
 * `k2 load asx` without --dry-run publishes through the real bus (embedded broker and
 * registry, kafkajs over TCP). Afterwards the test starts the bus again on the same
 * data dir, reads both topics back, decodes them through the registry, and compares
 * them exactly with a direct conversion of the same files.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTopicTail, RecordDecoder, SchemaRegistryClient, startBus } from '../../src/bus/index.js';
import { resolveGlobalOptions } from '../../src/config/global-options.js';
import { silentLogger } from '../../src/log/logger.js';
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { DeadLetterFile, planAsxLoad, runAsxLoad } from '../../src/sources/asx/index.js';
import { runK2 } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { fixture } from './asx-test-support.js';

const withoutIngestion = <T extends { ingestion_timestamp: bigint }>(r: T): Omit<T, 'ingestion_timestamp'> => {
  const { ingestion_timestamp: _ignored, ...rest } = r;
  return rest;
};

describe('k2 load asx publishes to market.equities.{trades,quotes}.asx', () => {
  it('publishes every valid record exactly, keyed by symbol, in the Confluent wire format', async () => {
    const tmp = tempDir('k2-asx-publish-');
    try {
      const dataDir = join(tmp.path, 'data');
      const files = [fixture('trades', '7181.csv'), fixture('quotes', '7181.csv'), fixture('trades', '3153.csv')];
      const r = await runK2(['--data-dir', dataDir, 'load', 'asx', ...files, '--json'], { timeoutMs: 120_000 });
      expect(r.stderr).not.toMatch(/"level":"error"/);
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout) as { rows_valid: number };
      expect(summary.rows_valid).toBe(232 + 549 + 11);

      // what the same conversion yields directly
      const expectedTrades: TradeV2[] = [];
      const expectedQuotes: QuoteV2[] = [];
      await runAsxLoad(planAsxLoad(files), {
        deadLetter: new DeadLetterFile(tmp.path),
        sink: {
          send: (kind, recs) => {
            if (kind === 'trades') expectedTrades.push(...(recs as TradeV2[]));
            else expectedQuotes.push(...(recs as QuoteV2[]));
            return Promise.resolve();
          },
        },
      });

      const bus = await startBus({ globals: resolveGlobalOptions({ dataDir }, {}), logger: silentLogger });
      try {
        const decoder = new RecordDecoder(new SchemaRegistryClient(bus.endpoints.registryUrl));
        const read = async <K extends 'trades' | 'quotes'>(topic: string, kind: K) => {
          const tails = await readTopicTail(bus.endpoints, { topic, logger: silentLogger });
          const messages = tails.flatMap((t) => t.messages);
          for (const m of messages) expect(m.value![0]).toBe(0); // Confluent magic byte
          const records = await Promise.all(messages.map((m) => decoder.decode(kind, m.value)));
          messages.forEach((m, i) => expect(m.key!.toString()).toBe(records[i]!.symbol));
          return records;
        };
        const trades = (await read('market.equities.trades.asx', 'trades')) as TradeV2[];
        const quotes = (await read('market.equities.quotes.asx', 'quotes')) as QuoteV2[];
        expect(trades).toHaveLength(232 + 11);
        expect(quotes).toHaveLength(549);
        const byId = <T extends { message_id: string }>(a: T[]): T[] => [...a].sort((x, y) => x.message_id.localeCompare(y.message_id));
        expect(byId(trades).map(withoutIngestion)).toEqual(byId(expectedTrades).map(withoutIngestion));
        expect(byId(quotes).map(withoutIngestion)).toEqual(byId(expectedQuotes).map(withoutIngestion));
      } finally {
        await bus.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
