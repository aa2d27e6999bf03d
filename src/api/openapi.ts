/** The OpenAPI 3.0 description of the k2 HTTP API, served at /openapi.json. */
import { BAR_INTERVALS, MAX_BAR_LIMIT } from '../query/query-params.js';
import { TRADE_SIDES } from '../model/enums.js';
import { QUERY_TABLES } from '../query/table-schema.js';

export const API_MAX_ROWS = 10_000;

const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });
const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }, required = false) => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

const timeTravel = [
  q('as_of', 'Time travel: read the table as it was at this ISO-8601 time', { type: 'string', format: 'date-time' }),
  q('snapshot_id', 'Time travel: read this snapshot id', { type: 'string', pattern: '^-?\\d+$' }),
  q('fresh', 'false: committed Iceberg rows only, without the uncommitted bus tail', { type: 'boolean' }),
];
const range = [
  q('start_time', 'Start, inclusive (ISO-8601; no offset means UTC)', { type: 'string', format: 'date-time' }),
  q('end_time', 'End, exclusive (ISO-8601)', { type: 'string', format: 'date-time' }),
];
const rowFilters = [
  q('symbol', 'Symbol, or a comma-separated list'),
  q('exchange', 'Exchange, e.g. ASX or BINANCE'),
  q('currency', 'Currency code'),
  ...range,
  q('limit', `Maximum rows (default 100, capped at ${API_MAX_ROWS})`, { type: 'integer', minimum: 1 }),
  q('order', 'Time order', { type: 'string', enum: ['asc', 'desc'] }),
  ...timeTravel,
];

const decimal = str('Exact decimal(18,8) as a string', { pattern: '^-?\\d+\\.\\d+$' });
const errorBody = {
  type: 'object',
  properties: { error: { type: 'string' }, parameter: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
};
const listOf = (item: Record<string, unknown>) => ({
  type: 'object',
  properties: { data: { type: 'array', items: item }, meta: { type: 'object' } },
});
const errors = {
  '400': { description: 'Invalid parameter; the body names it', content: { 'application/json': { schema: errorBody } } },
  '401': { description: 'X-API-Key missing (when K2_API_KEY is set)', content: { 'application/json': { schema: errorBody } } },
  '403': { description: 'X-API-Key wrong', content: { 'application/json': { schema: errorBody } } },
};
const ok = (schema: Record<string, unknown>) => ({ '200': { description: 'OK', content: { 'application/json': { schema } } }, ...errors });

const trade = {
  type: 'object',
  properties: {
    message_id: str('Message id'),
    trade_id: str('Venue trade id'),
    symbol: str('Symbol'),
    exchange: str('Exchange'),
    asset_class: str('Asset class'),
    timestamp: str('Trade time, ISO-8601 UTC with microseconds'),
    price: decimal,
    quantity: decimal,
    currency: str('Currency'),
    side: { type: 'string', enum: [...TRADE_SIDES] },
    trade_conditions: { type: 'array', items: { type: 'string' } },
    source_sequence: { type: 'string', nullable: true, description: '64-bit integer as a string' },
    ingestion_timestamp: str('Ingestion time'),
    platform_sequence: { type: 'string', nullable: true },
    vendor_data: { type: 'object', nullable: true, additionalProperties: { type: 'string' } },
  },
};
const ohlcv = {
  open: decimal,
  high: decimal,
  low: decimal,
  close: decimal,
  volume: str('Exact total quantity'),
  trade_count: str('Number of trades'),
  vwap: str('Volume-weighted average price, rounded half-even to 8 places'),
  notional: str('Exact sum of price x quantity'),
};

export const OPENAPI_DOCUMENT = {
  openapi: '3.0.3',
  info: {
    title: 'k2 market-data API',
    version: '0.1.0',
    description:
      'Trades, quotes, bars and summaries from the k2 Iceberg tables, plus rows accepted by the bus but not yet committed. Decimals and 64-bit integers are strings; times are ISO-8601 UTC with microseconds.',
  },
  components: {
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
  },
  security: [{ apiKey: [] }],
  paths: {
    '/v1/trades': {
      get: { summary: 'Trades', parameters: [...rowFilters, q('side', 'Trade side', { type: 'string', enum: [...TRADE_SIDES] })], responses: ok(listOf(trade)) },
    },
    '/v1/quotes': { get: { summary: 'Top-of-book quotes', parameters: rowFilters, responses: ok(listOf({ type: 'object' })) } },
    '/v1/summary/{symbol}/{date}': {
      get: {
        summary: "Daily summary for one symbol on a trading date in the exchange's time zone (Australia/Sydney for ASX, UTC for crypto)",
        parameters: [
          { name: 'symbol', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'date', in: 'path', required: true, schema: { type: 'string', format: 'date' } },
          q('exchange', 'Exchange, when the symbol trades on several'),
          ...timeTravel,
        ],
        responses: ok({ type: 'object', properties: { data: { type: 'object', properties: ohlcv }, meta: { type: 'object' } } }),
      },
    },
    '/v1/bars': {
      get: {
        summary: 'OHLCV + VWAP bars',
        parameters: [
          q('symbol', 'Symbol', { type: 'string' }, true),
          q('interval', 'Bar interval', { type: 'string', enum: [...BAR_INTERVALS] }, true),
          q('exchange', 'Exchange, when the symbol trades on several'),
          ...range,
          q('limit', `Maximum bars (capped at ${MAX_BAR_LIMIT})`, { type: 'integer', minimum: 1 }),
          ...timeTravel,
        ],
        responses: ok(listOf({ type: 'object', properties: { bucket_start: str('Bucket start, UTC'), ...ohlcv } })),
      },
    },
    '/v1/symbols': { get: { summary: 'Symbols with trade counts', parameters: timeTravel, responses: ok(listOf({ type: 'object' })) } },
    '/v1/snapshots': {
      get: {
        summary: 'Snapshots of a table',
        parameters: [q('table', 'Table', { type: 'string', enum: [...QUERY_TABLES] })],
        responses: ok(listOf({ type: 'object' })),
      },
    },
    '/health': { get: { summary: 'Catalog and DuckDB health', security: [], responses: { '200': { description: 'healthy' }, '503': { description: 'unhealthy' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'text exposition format' } } } },
    '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.0 JSON' } } } },
  },
} as const;
