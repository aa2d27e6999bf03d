/**
 * Direct kafkajs access for broker tests: the tests drive the broker with the
 * real client exactly as external programs do. (Production code reaches kafkajs
 * only through src/bus/.)
 */
import { Kafka, logLevel } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function testKafka(bootstrap: string, clientId = 'k2-test'): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}
