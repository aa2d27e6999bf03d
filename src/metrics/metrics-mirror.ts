/**
 * Shows metrics that live in another thread's registry (a worker) in this
 * thread's registry: each mirrored metric is a proxy whose values are fetched
 * from the owner on scrape (one fetch per scrape, shared by all proxies).
 *
 *   mirrorMetrics(registry: Registry, template: Registry, fetch: () => Promise<MetricJson[]>): void
 *
 * `template` holds metrics with the same names, help and types as the owner's
 * (e.g. the same metrics class built on a scratch registry); until the owner
 * answers, the proxies show no samples.
 */
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

export type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/** How long one fetched snapshot serves the proxies (one scrape reads them all within this). */
const SNAPSHOT_MS = 250;

export async function mirrorMetrics(registry: Registry, template: Registry, fetch: () => Promise<MetricJson[]>): Promise<void> {
  let snapshot: Promise<Map<string, MetricJson>> | null = null;
  let takenAt = 0;
  const current = (): Promise<Map<string, MetricJson>> => {
    const now = performance.now();
    if (snapshot === null || now - takenAt > SNAPSHOT_MS) {
      takenAt = now;
      snapshot = fetch()
        .then((list) => new Map(list.map((m) => [m.name, m])))
        .catch(() => new Map<string, MetricJson>());
    }
    return snapshot;
  };
  for (const shape of await template.getMetricsAsJSON()) {
    const proxy = {
      name: shape.name,
      help: shape.help,
      type: shape.type,
      aggregator: shape.aggregator,
      get: async (): Promise<MetricJson> => (await current()).get(shape.name) ?? { ...shape, values: [] },
      reset: (): void => undefined,
    };
    registry.registerMetric(proxy as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
