/**
 * runAsxLoad with a sealing sink: each converted chunk is sealed at once, batches of sealed
 * chunks go out in order, and the records are exactly those a plain sink receives.
 */
import { describe, expect, it } from 'vitest';
import type { QuoteV2 } from '../../src/model/quote.js';
import type { TradeV2 } from '../../src/model/trade.js';
import { DeadLetterFile, planAsxLoad, runAsxLoad, type AsxRecordSink } from '../../src/sources/asx/index.js';
import { tempDir } from '../support/tmp.js';
import { fixture } from './asx-test-support.js';

type Sealed = { kind: 'trades' | 'quotes'; ids: string[] };
const idOf = (r: TradeV2 | QuoteV2): string => ('trade_id' in r ? r.trade_id : r.quote_id);

describe('k2 load asx with a sealing sink', () => {
  it('seals chunk by chunk, sends batches of at least batchSize in order, and sends what a plain sink gets', async () => {
    const tmp = tempDir('k2-asx-seal-');
    try {
      const files = [fixture('trades', '7181.csv'), fixture('quotes', '7181.csv'), fixture('trades', '3153.csv')];
      const plain: string[] = [];
      await runAsxLoad(planAsxLoad(files), {
        deadLetter: new DeadLetterFile(tmp.path),
        batchSize: 100,
        sink: { send: async (kind, recs) => void plain.push(...recs.map((r) => `${kind}:${idOf(r)}`)) },
      });

      const sealedChunks: Sealed[] = [];
      const sends: { kind: string; chunks: number; records: number }[] = [];
      const got: string[] = [];
      const sink: AsxRecordSink = {
        send: () => Promise.reject(new Error('a sealing sink gets sealed chunks')),
        seal: (kind, recs) => {
          const s: Sealed = { kind, ids: recs.map(idOf) };
          sealedChunks.push(s);
          return s;
        },
        sendSealed: async (kind, chunks) => {
          const list = chunks as Sealed[];
          for (const c of list) expect(c.kind).toBe(kind);
          sends.push({ kind, chunks: list.length, records: list.reduce((n, c) => n + c.ids.length, 0) });
          for (const c of list) got.push(...c.ids.map((id) => `${kind}:${id}`));
        },
      };
      const result = await runAsxLoad(planAsxLoad(files), { deadLetter: new DeadLetterFile(tmp.path), batchSize: 100, sink });
      expect(result.summary.rowsRead).toBeGreaterThan(0);
      expect(got).toEqual(plain);
      expect(plain).toHaveLength(232 + 549 + 11);
      expect(sealedChunks.reduce((n, c) => n + c.ids.length, 0)).toBe(plain.length);
      // every send but the last of each file reaches batchSize
      expect(sends.filter((s) => s.records < 100).length).toBeLessThanOrEqual(files.length);
    } finally {
      tmp.cleanup();
    }
  });
});
