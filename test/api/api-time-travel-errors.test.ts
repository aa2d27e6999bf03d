/**
 * Time-travel parameters in the HTTP API: every 400 names the parameter as the API
 * spells it (`as_of`, `snapshot_id`), in the body's `parameter` and in its message,
 * never the CLI's `--as-of`/`--snapshot` or an internal name.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../src/api/api-server.js';
import { createApiMetrics } from '../../src/api/api-metrics.js';
import { FilesystemCatalog } from '../../src/iceberg/catalog/filesystem-catalog.js';
import { silentLogger } from '../../src/log/logger.js';
import { IcebergDataFileSource } from '../../src/query/iceberg-data-file-source.js';
import { QueryService } from '../../src/query/query-service.js';
import { tempDir } from '../support/tmp.js';
import { icebergFixture, type IcebergFixture } from '../query/support/iceberg-fixture.js';
import { syntheticTrades } from '../query/support/synthetic-trades.js';

interface Answer {
  status: number;
  body: { error?: string; parameter?: string; message?: string };
}

async function serve(service: QueryService): Promise<{ app: FastifyInstance; get: (path: string) => Promise<Answer> }> {
  const app = await buildApiServer({ service, metrics: createApiMetrics({ processMetrics: false }), apiKey: null, logger: silentLogger });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const get = async (path: string): Promise<Answer> => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };
  return { app, get };
}

/** The 400 names `parameter` exactly, and nothing the API does not spell that way. */
function expectNamed(r: Answer, parameter: string, path: string): void {
  expect(r.status, path).toBe(400);
  expect(r.body.error, path).toBe('invalid_parameter');
  expect(r.body.parameter, path).toBe(parameter);
  expect(r.body.message, path).toContain(parameter);
  expect(r.body.message, path).not.toMatch(/as-of|asOf|--|field=/);
}

describe('API time travel: 400s name as_of and snapshot_id', () => {
  const tmp = tempDir('k2-api-tt-');
  const empty = tempDir('k2-api-tt-empty-');
  let fx: IcebergFixture;
  let withTables: Awaited<ReturnType<typeof serve>>;
  let noTables: Awaited<ReturnType<typeof serve>>;
  let emptyCatalog: FilesystemCatalog;

  beforeAll(async () => {
    fx = await icebergFixture(tmp.path);
    await fx.appendTrades(syntheticTrades({ dates: ['2014-03-10'], perDay: 20 }));
    withTables = await serve(new QueryService({ files: new IcebergDataFileSource(fx.catalog) }));
    emptyCatalog = new FilesystemCatalog(`${empty.path}/warehouse`);
    noTables = await serve(new QueryService({ files: new IcebergDataFileSource(emptyCatalog) }));
  });
  afterAll(async () => {
    await withTables?.app.close();
    await noTables?.app.close();
    await fx?.close();
    await emptyCatalog?.close();
    tmp.cleanup();
    empty.cleanup();
  });

  it('as_of before the first snapshot names as_of', async () => {
    for (const path of [
      '/v1/trades?as_of=2000-01-01T00:00:00Z',
      '/v1/bars?symbol=BHP&interval=1d&as_of=2000-01-01T00:00:00Z',
      '/v1/summary/BHP/2014-03-10?as_of=2000-01-01T00:00:00Z',
      '/v1/symbols?as_of=2000-01-01T00:00:00Z',
    ]) {
      expectNamed(await withTables.get(path), 'as_of', path);
    }
  });

  it('a snapshot_id the table does not have names snapshot_id', async () => {
    for (const path of ['/v1/trades?snapshot_id=42', '/v1/symbols?snapshot_id=42']) {
      expectNamed(await withTables.get(path), 'snapshot_id', path);
    }
  });

  it('time travel on a table that does not exist yet names the time-travel parameter', async () => {
    expectNamed(await noTables.get('/v1/trades?as_of=2030-01-01T00:00:00Z'), 'as_of', 'as_of, no table');
    expectNamed(await noTables.get('/v1/quotes?snapshot_id=7'), 'snapshot_id', 'snapshot_id, no table');
  });

  it('malformed or conflicting values name the API parameter', async () => {
    expectNamed(await withTables.get('/v1/trades?as_of=yesterday'), 'as_of', 'bad as_of');
    expectNamed(await withTables.get('/v1/trades?snapshot_id=abc'), 'snapshot_id', 'bad snapshot_id');
    const both = await withTables.get('/v1/trades?as_of=2030-01-01T00:00:00Z&snapshot_id=1');
    expectNamed(both, 'as_of', 'both');
    expect(both.body.message).toContain('snapshot_id');
  });
});
