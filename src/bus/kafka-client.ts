/**
 * The one place a kafkajs `Kafka` client is built: bootstrap brokers, retry
 * policy and a log adapter that routes kafkajs logs into k2's logger.
 * Internal to src/bus/.
 */
// The patches must load before kafkajs itself (see each file).
import './kafkajs-linear-grouping.js';
import './kafkajs-idle-fix.js';
import './kafkajs-fast-record-batch.js';
import './kafkajs-fast-produce-request.js';
import './kafkajs-fast-partitioner.js';
import './kafkajs-fast-record-batch-decoder.js';
import './kafkajs-fast-consumer-batch.js';
import { CompressionTypes, Kafka, logLevel, type LogEntry } from 'kafkajs';

export { CompressionTypes };
import type { Logger } from '../log/logger.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

/**
 * kafkajs warns on every idempotent producer whose retries are bounded. Ours are, on
 * purpose (the retry policy below): a send that still fails is handed back to its caller,
 * which keeps the records and sends them again with the same producer, so the broker's
 * sequence check still drops duplicates, and the consumer dedupes by record id on top.
 * The warning would appear on every run without saying anything actionable: logged at debug.
 */
const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/** Retries of every kafkajs request: 100 ms doubling to 5 s, 8 times (~20 s), then the caller decides. */
export const RETRY_POLICY = { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 } as const;

/** Turns a kafkajs client's log lines off (its work was abandoned: what it still retries is not the operator's concern). */
export interface KafkaLogGate {
  muted: boolean;
}

export function createKafka(brokers: string[], logger: Logger, clientId = 'k2', gate: KafkaLogGate = { muted: false }): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: RETRY_POLICY,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        // kafkajs attaches the stack of every connection error; an operator needs the message
        // (and the broker it names), so stacks are left out of k2's log lines.
        if (gate.muted) return;
        const { message, ...fields } = entry;
        const f = { ...fields, timestamp: undefined, logger: undefined, stack: undefined };
        if (level === logLevel.ERROR) log.error(message, f);
        else if (level === logLevel.WARN && message !== BOUNDED_RETRIES_WARNING) log.warn(message, f);
        else log.debug(message, f);
      },
  });
}
