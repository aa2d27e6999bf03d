/**
 * @duckdb/node-api, loaded with require().
 *
 * The package is CommonJS, and its index re-exports about 120 files. Imported from an ES
 * module, Node lexes every one of them to find their named exports before linking: that
 * cost ~0.25 s of CPU in each process (and worker) that uses DuckDB, measured against
 * require() of the same package, which skips the lexing (decisions.md). k2's modules
 * import DuckDB's API from here; the types are the package's own.
 */
import { createRequire } from 'node:module';
import type * as Api from '@duckdb/node-api';

const api = createRequire(import.meta.url)('@duckdb/node-api') as typeof Api;

export type { DuckDBAppender, DuckDBConnection, DuckDBType, DuckDBValue, Json } from '@duckdb/node-api';

export const DuckDBInstance = api.DuckDBInstance;
export type DuckDBInstance = Api.DuckDBInstance;
export const DuckDBDataChunk = api.DuckDBDataChunk;
export type DuckDBDataChunk = Api.DuckDBDataChunk;
export const StatementType = api.StatementType;
export type StatementType = Api.StatementType;

export const { LIST, MAP, TIMESTAMPTZ, VARCHAR, decimalValue, listValue, mapValue, timestampTZValue } = api;
