import { request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistryServer } from '../../src/broker/registry/schema-registry-server.js';
import { silentLogger } from '../../src/log/logger.js';
import { tempDir } from '../support/tmp.js';

const dir = tempDir('k2-registry-');
let reg: SchemaRegistryServer;
beforeAll(async () => {
  reg = await SchemaRegistryServer.start({ dataDir: dir.path, port: 0, logger: silentLogger });
});
afterAll(async () => {
  await reg.close();
  dir.cleanup();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${reg.url}${path}`, {
    method,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const v1 = { type: 'record', name: 'Trade', namespace: 'k2', fields: [{ name: 'symbol', type: 'string' }, { name: 'price', type: 'long' }] };
const v2WithDefault = { ...v1, fields: [...v1.fields, { name: 'venue', type: 'string', default: 'ASX' }] };
const v3NoDefault = { ...v1, fields: [...v1.fields, { name: 'side', type: 'string' }] };
const s = (x: unknown): { schema: string } => ({ schema: JSON.stringify(x) });

describe('schema registry (Confluent REST subset)', () => {
  it('registers, returns the same id for the same schema, and serves it by id and version', async () => {
    const r1 = await call('POST', '/subjects/market.t-value/versions', s(v1));
    expect(r1.status).toBe(200);
    const again = await call('POST', '/subjects/market.t-value/versions', s(v1));
    expect(again.json.id).toBe(r1.json.id);
    const byId = await call('GET', `/schemas/ids/${r1.json.id}`);
    expect(JSON.parse(byId.json.schema)).toEqual(v1);
    expect((await call('GET', '/subjects')).json).toEqual(['market.t-value']);
    expect((await call('GET', '/subjects/market.t-value/versions')).json).toEqual([1]);
    const latest = await call('GET', '/subjects/market.t-value/versions/latest');
    expect(latest.json).toMatchObject({ subject: 'market.t-value', version: 1, id: r1.json.id });
    // The same schema under another subject reuses the global id.
    const other = await call('POST', '/subjects/market.u-value/versions', s(v1));
    expect(other.json.id).toBe(r1.json.id);
  });

  it('accepts a BACKWARD-compatible evolution and rejects an incompatible one with 409', async () => {
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    const ok = await call('POST', '/compatibility/subjects/market.t-value/versions/latest', s(v2WithDefault));
    expect(ok.json.is_compatible).toBe(true);
    const bad = await call('POST', '/compatibility/subjects/market.t-value/versions/latest', s(v3NoDefault));
    expect(bad.json.is_compatible).toBe(false);

    const r2 = await call('POST', '/subjects/market.t-value/versions', s(v2WithDefault));
    expect(r2.status).toBe(200);
    const r3 = await call('POST', '/subjects/market.t-value/versions', s(v3NoDefault));
    expect(r3.status).toBe(409);
    expect(r3.json.error_code).toBe(409);
    expect((await call('GET', '/subjects/market.t-value/versions')).json).toEqual([1, 2]);
  });

  it('honours per-subject and global config', async () => {
    expect((await call('GET', '/config/market.t-value')).status).toBe(404);
    expect((await call('GET', '/config/market.t-value?defaultToGlobal=true')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('PUT', '/config/market.t-value', { compatibility: 'NONE' })).json).toEqual({ compatibility: 'NONE' });
    expect((await call('POST', '/subjects/market.t-value/versions', s(v3NoDefault))).status).toBe(200);
    expect((await call('PUT', '/config', { compatibility: 'BOGUS' })).json.error_code).toBe(42203);
    expect((await call('PUT', '/config', { compatibility: 'FULL' })).json).toEqual({ compatibility: 'FULL' });
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'FULL' });
  });

  it('returns Confluent error codes for unknown subjects, versions, ids and invalid schemas', async () => {
    expect((await call('GET', '/subjects/nope/versions')).json.error_code).toBe(40401);
    expect((await call('GET', '/subjects/market.t-value/versions/99')).json.error_code).toBe(40402);
    expect((await call('GET', '/schemas/ids/999')).json.error_code).toBe(40403);
    expect((await call('POST', '/subjects/x-value/versions', { schema: '{"type":"recrod"}' })).json.error_code).toBe(42201);
  });

  it('answers an oversized body with 413, declared (refused before it is sent) or chunked, and goes on serving', async () => {
    const post = (headers: Record<string, string | number>, send: (req: ClientRequest) => void): Promise<{ status: number; json: any; continued: boolean }> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(`${reg.url}/subjects/big-value/versions`, { method: 'POST', headers });
        let continued = false;
        req.on('continue', () => {
          continued = true;
          send(req);
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), continued }));
        });
        req.on('error', reject);
        if (headers.expect === undefined) send(req);
      });
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const declared = await post({ expect: '100-continue', 'content-length': big.length }, (req) => req.end(big));
    expect(declared).toMatchObject({ status: 413, continued: false, json: { error_code: 413 } });
    expect(declared.json.message).toMatch(/too large \(the limit is 2097152 bytes\)/);
    const chunked = await post({ 'transfer-encoding': 'chunked' }, (req) => {
      for (let i = 0; i < 3; i++) req.write(big.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
      req.end();
    });
    expect(chunked).toMatchObject({ status: 413, json: { error_code: 413 } });
    expect((await call('GET', '/schemas/ids/1')).status).toBe(200);
    // a body within the limit still gets its 100 Continue (curl asks for one above 1 KB)
    const schema = Buffer.from(JSON.stringify(s({ ...v1, name: 'Big', doc: 'x'.repeat(2000) })));
    const ok = await post({ expect: '100-continue', 'content-length': schema.length, 'content-type': 'application/json' }, (req) => req.end(schema));
    expect(ok.status).toBe(200);
    expect(ok.continued).toBe(true);
    expect(typeof ok.json.id).toBe('number');
  });

  it('persists subjects, ids and config across a restart', async () => {
    await reg.close();
    reg = await SchemaRegistryServer.start({ dataDir: dir.path, port: 0, logger: silentLogger });
    expect((await call('GET', '/subjects/market.t-value/versions')).json).toEqual([1, 2, 3]);
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'FULL' });
    const r = await call('POST', '/subjects/market.t-value/versions', s(v1));
    expect(r.json.id).toBe(1);
  });
});
