/**
 * Prometheus metrics of the API and the query engine, on a registry of their own
 * (so tests and several servers in one process never collide).
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PlanReport } from '../query/query-result.js';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  filesScanned: Counter<'table'>;
  filesSkipped: Counter<'table'>;
  freshRecords: Counter<'table'>;
  /** Counts one scan plan. */
  observePlan(plan: PlanReport): void;
}

export function createApiMetrics(opts: { processMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'k2_' });
  const requests = new Counter({
    name: 'k2_api_requests_total',
    help: 'HTTP requests served, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'k2_api_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const filesScanned = new Counter({
    name: 'k2_query_files_scanned_total',
    help: 'Data files handed to DuckDB after pruning',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const filesSkipped = new Counter({
    name: 'k2_query_files_skipped_total',
    help: 'Data files skipped by partition or column-bound pruning',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const freshRecords = new Counter({
    name: 'k2_query_fresh_records_total',
    help: 'Uncommitted records read from the bus tail for queries',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  return {
    registry,
    requests,
    duration,
    filesScanned,
    filesSkipped,
    freshRecords,
    observePlan(plan) {
      filesScanned.inc({ table: plan.table }, plan.filesScanned);
      filesSkipped.inc({ table: plan.table }, plan.filesSkipped);
      freshRecords.inc({ table: plan.table }, plan.freshRecords);
    },
  };
}
