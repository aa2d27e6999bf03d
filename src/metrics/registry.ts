/**
 * A prom-client Registry per process (not prom-client's global one), so tests
 * and several components in one process never collide on metric names.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export function createMetricsRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? false) collectDefaultMetrics({ register: registry, prefix: 'k2_process_' });
  return registry;
}
