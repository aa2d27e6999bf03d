/** Prometheus metrics of the Iceberg consumer (k2_consumer_*, k2_iceberg_*). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class ConsumerMetrics {
  readonly recordsConsumed: Counter<'topic'>;
  readonly rowsCommitted: Counter<'table'>;
  readonly duplicatesDropped: Counter<'table' | 'where'>;
  readonly deadLetters: Counter<'topic' | 'reason'>;
  readonly sequenceEvents: Counter<'kind'>;
  readonly sequenceMissing: Counter;
  readonly commits: Counter<'table' | 'result'>;
  readonly commitLatency: Histogram<'table'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly lastCommitTimestamp: Gauge<'table'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.recordsConsumed = new Counter({ name: 'k2_consumer_records_total', help: 'Records read from the bus, by topic', labelNames: ['topic'], registers });
    this.rowsCommitted = new Counter({ name: 'k2_iceberg_rows_committed_total', help: 'Rows committed to Iceberg, by table', labelNames: ['table'], registers });
    this.duplicatesDropped = new Counter({
      name: 'k2_consumer_duplicates_dropped_total',
      help: 'Records dropped as duplicates: within a batch or already in the table',
      labelNames: ['table', 'where'],
      registers,
    });
    this.deadLetters = new Counter({ name: 'k2_consumer_dead_letters_total', help: 'Records sent to the dead-letter file', labelNames: ['topic', 'reason'], registers });
    this.sequenceEvents = new Counter({
      name: 'k2_consumer_sequence_anomalies_total',
      help: 'source_sequence anomalies per (exchange, symbol): gap, out_of_order, duplicate',
      labelNames: ['kind'],
      registers,
    });
    this.sequenceMissing = new Counter({ name: 'k2_consumer_sequence_missing_total', help: 'Sequence numbers missing in forward gaps', registers });
    this.commits = new Counter({ name: 'k2_iceberg_commits_total', help: 'Iceberg commits, by table and result', labelNames: ['table', 'result'], registers });
    this.commitLatency = new Histogram({
      name: 'k2_iceberg_commit_duration_seconds',
      help: 'Time to write data files and commit one snapshot',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.lag = new Gauge({ name: 'k2_consumer_lag_records', help: 'High watermark minus the next offset to commit', labelNames: ['topic', 'partition'], registers });
    this.lastCommitTimestamp = new Gauge({ name: 'k2_iceberg_last_commit_timestamp_seconds', help: 'Unix time of the last commit', labelNames: ['table'], registers });
  }
}
