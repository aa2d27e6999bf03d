/**
 * kafkajs 2.2.4 groups a send's messages per partition with
 * `Object.assign(result, { [p]: [...current, message] })`, copying the array for
 * every message: O(n^2) per partition, ~15 % of producer CPU at 1000 messages per
 * request and worse beyond. This swaps in a linear version with identical output
 * (same keys, same message order) by seeding Node's module cache before kafkajs
 * loads it. It must be imported before 'kafkajs' (src/bus/kafka-client.ts does);
 * if kafkajs' producer was already loaded it does nothing.
 * See docs/decisions.md ("bus: linear per-partition grouping for kafkajs").
 */
import { createRequire } from 'node:module';

interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
}

const require = createRequire(import.meta.url);

export function groupMessagesPerPartitionLinear({ topic, partitionMetadata, messages, partitioner }: GroupArgs): Record<number, unknown[]> {
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, unknown[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

function apply(): boolean {
  try {
    const target = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
    const sendMessages = require.resolve('kafkajs/src/producer/sendMessages.js');
    if (require.cache[sendMessages] !== undefined) return false; // too late: already bound
    const original = require(target) as unknown;
    if (typeof original !== 'function' || !String(original).includes('partitioner')) return false;
    require.cache[target]!.exports = groupMessagesPerPartitionLinear;
    return true;
  } catch {
    return false;
  }
}

export const linearGroupingApplied = apply();
