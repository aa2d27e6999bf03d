import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BinanceRestError } from '../../src/sources/binance/errors.js';
import { BinanceRestClient } from '../../src/sources/binance/rest-client.js';

let server: Server | null = null;
afterEach(async () => {
  const s = server;
  server = null;
  if (s) await new Promise<void>((r) => s.close(() => r()));
});

/** A REST server answering from a script of (status, headers, body) replies. */
async function scripted(replies: [number, Record<string, string>, string][]): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [status, headers, body] = replies.shift() ?? [500, {}, '{}'];
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const ROW = JSON.stringify([{ id: 7, price: '1.5', qty: '2', quoteQty: '3', time: 1718035200000, isBuyerMaker: true, isBestMatch: true }]);

describe('BinanceRestClient', () => {
  it('sends symbol, fromId and limit, and validates the body', async () => {
    const { url, requests } = await scripted([[200, {}, ROW]]);
    const rest = new BinanceRestClient({ baseUrl: `${url}/` });
    const rows = await rest.historicalTrades('BTCUSDT', 7, 1000);
    expect(rows).toEqual([{ id: 7, price: '1.5', qty: '2', quoteQty: '3', time: 1718035200000, isBuyerMaker: true, isBestMatch: true }]);
    expect(requests).toEqual(['/api/v3/historicalTrades?symbol=BTCUSDT&fromId=7&limit=1000']);
  });

  it('waits out 429 Retry-After and retries 5xx, then succeeds', async () => {
    const { url, requests } = await scripted([
      [429, { 'retry-after': '0' }, '{"code":-1003,"msg":"Too many requests"}'],
      [503, {}, '{}'],
      [200, {}, ROW],
    ]);
    const rows = await new BinanceRestClient({ baseUrl: url }).recentTrades('BTCUSDT');
    expect(rows).toHaveLength(1);
    expect(requests).toHaveLength(3);
  });

  it('does not retry a 4xx and reports its status', async () => {
    const { url, requests } = await scripted([[401, {}, '{"code":-2014,"msg":"API-key format invalid."}']]);
    const err = await new BinanceRestClient({ baseUrl: url }).historicalTrades('BTCUSDT', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BinanceRestError);
    expect((err as BinanceRestError).status).toBe(401);
    expect(requests).toHaveLength(1);
  });

  it('rejects an unexpected body with a typed error naming the field', async () => {
    const { url } = await scripted([[200, {}, '[{"id":1,"price":1.5}]']]);
    const err = await new BinanceRestClient({ baseUrl: url }).recentTrades('BTCUSDT').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BinanceRestError);
    expect((err as BinanceRestError).message).toMatch(/unexpected body at 0\.price/);
  });
});
