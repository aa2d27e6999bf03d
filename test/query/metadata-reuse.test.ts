/**
 * Metadata reuse (k2 serve): within the reuse window a query sees the snapshot loaded
 * at the window's start; after it, the newest commit. Without reuse, every query sees
 * the newest commit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { IcebergDataFileSource } from '../../src/query/iceberg-data-file-source.js';
import { parseQuery, tradeQuerySchema } from '../../src/query/query-params.js';
import { QueryService } from '../../src/query/query-service.js';
import { tempDir } from '../support/tmp.js';
import { icebergFixture } from './support/iceberg-fixture.js';
import { syntheticTrades } from './support/synthetic-trades.js';

describe('table metadata reuse', () => {
  const tmp = tempDir('k2-reuse-');
  afterAll(() => tmp.cleanup());

  it('reuses within the window and reloads after it; strict mode always reloads', async () => {
    const fx = await icebergFixture(tmp.path);
    const trades = syntheticTrades({ dates: ['2014-03-10'], perDay: 50 });
    await fx.appendTrades(trades.slice(0, 60));
    let clock = 1_000_000;
    const reusing = new QueryService({ files: new IcebergDataFileSource(fx.catalog, { metadataMaxAgeMs: 250, now: () => clock }) });
    const strict = new QueryService({ files: new IcebergDataFileSource(fx.catalog) });
    const q = parseQuery(tradeQuerySchema, { limit: '1000', fresh: false });
    expect((await reusing.trades(q)).rows.length).toBe(60);
    await fx.appendTrades(trades.slice(60));
    expect((await strict.trades(q)).rows.length).toBe(trades.length);
    clock += 250;
    expect((await reusing.trades(q)).rows.length).toBe(60);
    clock += 1;
    expect((await reusing.trades(q)).rows.length).toBe(trades.length);
    await fx.close();
  });
});
