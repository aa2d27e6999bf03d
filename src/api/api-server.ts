/**
 * The k2 HTTP JSON API on fastify: trades, quotes, summaries, bars, symbols and
 * snapshots over the QueryService, plus /health, /metrics and /openapi.json.
 * Validation errors are 400 with a body naming the parameter; limits are capped.
 * With an API key, every route except /health, /metrics and /openapi.json needs it.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { K2Error, ValidationError, errorMessage } from '../model/errors.js';
import type { Logger } from '../log/logger.js';
import {
  barsQuerySchema,
  parseQuery,
  quoteQuerySchema,
  summaryQuerySchema,
  tradeQuerySchema,
  type ParamNames,
} from '../query/query-params.js';
import type { QueryResult } from '../query/query-result.js';
import type { QueryService } from '../query/query-service.js';
import { QUERY_TABLES, isQueryTable } from '../query/table-schema.js';
import { checkApiKey } from './api-key.js';
import type { ApiMetrics } from './api-metrics.js';
import { API_MAX_ROWS, OPENAPI_DOCUMENT } from './openapi.js';

export interface ApiServerOptions {
  service: QueryService;
  metrics: ApiMetrics;
  /** null: no key required. */
  apiKey: string | null;
  logger: Logger;
}

/** API parameter names, for error messages. */
const NAMES: ParamNames = {
  symbol: 'symbol',
  side: 'side',
  exchange: 'exchange',
  currency: 'currency',
  from: 'start_time',
  to: 'end_time',
  limit: 'limit',
  order: 'order',
  asOf: 'as_of',
  snapshot: 'snapshot_id',
  interval: 'interval',
  date: 'date',
  fresh: 'fresh',
};

type Query = Record<string, unknown>;

/**
 * Names the query layer gives fields in its own errors (the snapshot lookup says `as-of`
 * and `snapshot`, as the CLI flags do), mapped to the API's parameters.
 */
const SERVICE_FIELDS: Record<string, string> = {
  'as-of': NAMES.asOf!,
  asOf: NAMES.asOf!,
  snapshot: NAMES.snapshot!,
  from: NAMES.from!,
  to: NAMES.to!,
};

/**
 * Runs a query-service call; a ValidationError it throws (no snapshot at `as_of`, an
 * unknown `snapshot_id`, time travel on a table not created yet) is thrown again naming
 * the parameter as this API spells it, in `parameter` and in the message.
 */
async function withApiNames<T>(raw: Query, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ValidationError) || typeof err.context.field !== 'string') throw err;
    const field = err.context.field;
    // `table` here is the table the time travel asked for: the request's time-travel parameter is at fault
    const timeTravel = raw.snapshot_id !== undefined && raw.as_of === undefined ? NAMES.snapshot! : NAMES.asOf!;
    const name = field === 'table' ? timeTravel : (SERVICE_FIELDS[field] ?? field);
    if (name === field) throw err;
    const text = err.message.replace('(see k2 query snapshots)', '(see /v1/snapshots)');
    const message = text.startsWith(`invalid ${name}`) ? text : `invalid ${name}: ${text}`;
    throw new ValidationError(message, { ...err.context, field: name }, { cause: err });
  }
}

/** Routes that never need the API key. */
const OPEN_ROUTES = new Set(['/health', '/metrics', '/openapi.json']);

/** Maps API query parameters to the canonical query input. */
function input(q: Query): Record<string, unknown> {
  const fresh = q.fresh;
  if (fresh !== undefined && fresh !== 'true' && fresh !== 'false') throw new ValidationError('invalid fresh: true or false', { field: 'fresh' });
  return {
    symbol: q.symbol,
    side: q.side,
    exchange: q.exchange,
    currency: q.currency,
    from: q.start_time,
    to: q.end_time,
    limit: q.limit,
    order: q.order,
    asOf: q.as_of,
    snapshot: q.snapshot_id,
    fresh: fresh === undefined ? undefined : fresh === 'true',
    interval: q.interval,
  };
}

const KNOWN: Record<string, readonly string[]> = {
  trades: ['symbol', 'side', 'exchange', 'currency', 'start_time', 'end_time', 'limit', 'order', 'as_of', 'snapshot_id', 'fresh'],
  quotes: ['symbol', 'exchange', 'currency', 'start_time', 'end_time', 'limit', 'order', 'as_of', 'snapshot_id', 'fresh'],
  bars: ['symbol', 'interval', 'exchange', 'currency', 'start_time', 'end_time', 'limit', 'as_of', 'snapshot_id', 'fresh'],
  summary: ['exchange', 'as_of', 'snapshot_id', 'fresh'],
  symbols: ['as_of', 'snapshot_id', 'fresh'],
  snapshots: ['table'],
};

/** Unknown parameters are errors, so a typo (stat_time) never silently widens a query. */
function rejectUnknown(route: string, q: Query): void {
  for (const k of Object.keys(q)) {
    if (!KNOWN[route]!.includes(k)) throw new ValidationError(`unknown parameter ${k}`, { field: k });
  }
}

function body(result: QueryResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { data: result.rows, meta: { count: result.rows.length, ...extra, scans: result.plans } };
}

export async function buildApiServer(o: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 200 } });
  const startTimes = new WeakMap<FastifyRequest, bigint>();

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    startTimes.set(req, process.hrtime.bigint());
    // Decided on the matched route, not the raw URL, so an encoded path cannot slip past the key.
    if (OPEN_ROUTES.has(req.routeOptions.url ?? '')) return;
    const verdict = checkApiKey(o.apiKey, req.headers['x-api-key']);
    if (verdict === 'missing') return reply.code(401).send({ error: 'unauthorized', message: 'X-API-Key header required' });
    if (verdict === 'wrong') return reply.code(403).send({ error: 'forbidden', message: 'X-API-Key is not valid' });
  });

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const start = startTimes.get(req);
    o.metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    if (start !== undefined) o.metrics.duration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - start) / 1e9);
  });

  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof ValidationError) {
      const parameter = typeof err.context.field === 'string' ? err.context.field : undefined;
      return reply.code(400).send({ error: 'invalid_parameter', parameter, message: err.message });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.code(status).send({ error: 'bad_request', message: errorMessage(err) });
    }
    o.logger.error('api request failed', { error: errorMessage(err), code: err instanceof K2Error ? err.code : undefined });
    return reply.code(500).send({ error: err instanceof K2Error ? err.code.toLowerCase() : 'internal', message: errorMessage(err) });
  });

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  app.get('/v1/trades', async (req) => {
    const raw = req.query as Query;
    rejectUnknown('trades', raw);
    const q = parseQuery(tradeQuerySchema, input(raw), NAMES);
    q.limit = Math.min(q.limit, API_MAX_ROWS);
    return body(await withApiNames(raw, () => o.service.trades(q)), { limit: q.limit });
  });

  app.get('/v1/quotes', async (req) => {
    const raw = req.query as Query;
    rejectUnknown('quotes', raw);
    const q = parseQuery(quoteQuerySchema, { ...input(raw), side: undefined }, NAMES);
    q.limit = Math.min(q.limit, API_MAX_ROWS);
    return body(await withApiNames(raw, () => o.service.quotes(q)), { limit: q.limit });
  });

  app.get('/v1/summary/:symbol/:date', async (req) => {
    const raw = req.query as Query;
    rejectUnknown('summary', raw);
    const params = req.params as { symbol: string; date: string };
    const i = input(raw);
    const q = parseQuery(summaryQuerySchema, { symbol: params.symbol, date: params.date, exchange: i.exchange, asOf: i.asOf, snapshot: i.snapshot, fresh: i.fresh }, NAMES);
    const r = await withApiNames(raw, () => o.service.summary(q));
    return { data: r.rows[0], meta: { scans: r.plans } };
  });

  app.get('/v1/bars', async (req) => {
    const raw = req.query as Query;
    rejectUnknown('bars', raw);
    const i = input(raw);
    const q = parseQuery(barsQuerySchema, { ...i, side: undefined, order: undefined }, NAMES);
    return body(await withApiNames(raw, () => o.service.bars(q)), { limit: q.limit });
  });

  app.get('/v1/symbols', async (req) => {
    const raw = req.query as Query;
    rejectUnknown('symbols', raw);
    const i = input(raw);
    const q = parseQuery(tradeQuerySchema, { asOf: i.asOf, snapshot: i.snapshot, fresh: i.fresh }, NAMES);
    return body(await withApiNames(raw, () => o.service.symbols(q)));
  });

  app.get('/v1/snapshots', async (req) => {
    const raw = req.query as Query;
    rejectUnknown('snapshots', raw);
    const table = raw.table ?? 'trades_v2';
    if (typeof table !== 'string' || !isQueryTable(table)) {
      throw new ValidationError(`invalid table: one of ${QUERY_TABLES.join(', ')}`, { field: 'table' });
    }
    return body(await o.service.snapshots(table), { table });
  });

  app.get('/health', async (_req, reply) => {
    try {
      const h = await o.service.checkHealth();
      return { status: 'ok', catalog: h.catalog, duckdb: h.duckdb };
    } catch (err) {
      return reply.code(503).send({ status: 'unhealthy', message: errorMessage(err) });
    }
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', o.metrics.registry.contentType);
    return o.metrics.registry.metrics();
  });

  app.get('/openapi.json', async () => OPENAPI_DOCUMENT);

  return app;
}
