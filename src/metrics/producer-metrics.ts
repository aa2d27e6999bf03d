/**
 * Producer-side counters and latency histogram, for any component that publishes
 * v2 records (the Binance stream today). Names follow Prometheus conventions.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export class ProducerMetrics {
  readonly records: Counter<'kind'>;
  readonly batches: Counter;
  readonly errors: Counter;
  readonly publishSeconds: Histogram;

  constructor(registry: Registry) {
    this.records = new Counter({ name: 'k2_producer_records_total', help: 'v2 records handed to the producer, by kind', labelNames: ['kind'], registers: [registry] });
    this.batches = new Counter({ name: 'k2_producer_batches_total', help: 'Batches published', registers: [registry] });
    this.errors = new Counter({ name: 'k2_producer_errors_total', help: 'Failed publish attempts (the batch is retried)', registers: [registry] });
    this.publishSeconds = new Histogram({
      name: 'k2_producer_publish_duration_seconds',
      help: 'Time to publish one batch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }
}
